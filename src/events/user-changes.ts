import { Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { Subject, type Subscription } from 'rxjs';
import { CHANNELS, parseUserNotice } from '../sync/change-channels';
import { ChangeFeed } from '../sync/change-feed';

/** Changes remembered per user for caches to check their in-flight reads against; older ones are forgotten. */
const REMEMBERED = 100_000;

export interface UserActivity {
  /** Purchases were stored or erased: popularity moved. */
  purchases: boolean;
  /** A user was erased: counts that include them must go promptly. */
  erased: boolean;
}

/**
 * Users whose events changed (ingested or erased), so profile and list caches can drop them: this process's
 * writes are announced after they commit, every process's (this one's included) again when the change feed
 * brings their notification. A cache that reads from PostgreSQL takes a `ticket()` first and stores the result
 * only if `changedSince(user, ticket)` is false: a change committed while the read was in flight would
 * otherwise be announced before the stale result is stored, and never dropped.
 */
@Injectable()
export class UserChanges implements OnModuleDestroy {
  private readonly subject = new Subject<string[]>();
  private readonly clearedSubject = new Subject<void>();
  private readonly purchasesSubject = new Subject<string[]>();
  private readonly activitySubject = new Subject<UserActivity>();
  readonly changes$ = this.subject.asObservable();
  /** Every user changed (a bulk import from another process, or the feed reconnected): drop all. */
  readonly cleared$ = this.clearedSubject.asObservable();
  private seq = 0;
  private floor = 0;
  private readonly lastChange = new Map<string, number>();
  private readonly subs: Subscription[] = [];

  /** Purchases written by this process: only those queue jobs here (the writer's process queues them). */
  readonly purchases$ = this.purchasesSubject.asObservable();
  /** Purchases or erasures by any process: what in-memory popularity follows. */
  readonly activity$ = this.activitySubject.asObservable();

  constructor(@Optional() feed?: ChangeFeed) {
    if (!feed) return;
    this.subs.push(
      feed.on(CHANNELS.users).subscribe((p) => {
        const n = parseUserNotice(p);
        if ('all' in n) this.clearAll(n);
        else this.announce(n.ids, n);
      }),
      feed.resync$.subscribe(() => this.clearAll({ purchases: true, erased: true })),
    );
  }

  onModuleDestroy(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  publish(userIds: string[], opts: { purchases: boolean } = { purchases: true }): void {
    if (userIds.length === 0) return;
    this.announce(userIds, { purchases: opts.purchases, erased: false });
    if (opts.purchases) this.purchasesSubject.next(userIds);
  }

  ticket(): number {
    return this.seq;
  }

  changedSince(userId: string, ticket: number): boolean {
    return ticket < this.floor || (this.lastChange.get(userId) ?? 0) > ticket;
  }

  private announce(userIds: string[], activity: UserActivity): void {
    if (userIds.length === 0) return;
    this.seq += 1;
    if (this.lastChange.size + userIds.length > REMEMBERED) {
      // Forgetting is safe as long as every ticket taken before now counts as changed.
      this.lastChange.clear();
      this.floor = this.seq;
    }
    for (const id of userIds) this.lastChange.set(id, this.seq);
    this.subject.next(userIds);
    if (activity.purchases || activity.erased) this.activitySubject.next(activity);
  }

  private clearAll(activity: UserActivity): void {
    this.seq += 1;
    this.lastChange.clear();
    this.floor = this.seq;
    this.clearedSubject.next();
    if (activity.purchases || activity.erased) this.activitySubject.next(activity);
  }
}
