import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

/** Changes remembered per user for caches to check their in-flight reads against; older ones are forgotten. */
const REMEMBERED = 100_000;

/**
 * Users whose events changed (ingested or erased), announced after commit so profile and list caches can drop
 * them. A cache that reads from PostgreSQL takes a `ticket()` first and stores the result only if
 * `changedSince(user, ticket)` is false: a change committed while the read was in flight would otherwise be
 * announced before the stale result is stored, and never dropped.
 */
@Injectable()
export class UserChanges {
  private readonly subject = new Subject<string[]>();
  private readonly purchasesSubject = new Subject<string[]>();
  readonly changes$ = this.subject.asObservable();
  private seq = 0;
  private floor = 0;
  private readonly lastChange = new Map<string, number>();

  /** The subset of changes that touched purchases: only those move popularity and co-purchase. */
  readonly purchases$ = this.purchasesSubject.asObservable();

  publish(userIds: string[], opts: { purchases: boolean } = { purchases: true }): void {
    if (userIds.length === 0) return;
    this.seq += 1;
    if (this.lastChange.size + userIds.length > REMEMBERED) {
      // Forgetting is safe as long as every ticket taken before now counts as changed.
      this.lastChange.clear();
      this.floor = this.seq;
    }
    for (const id of userIds) this.lastChange.set(id, this.seq);
    this.subject.next(userIds);
    if (opts.purchases) this.purchasesSubject.next(userIds);
  }

  ticket(): number {
    return this.seq;
  }

  changedSince(userId: string, ticket: number): boolean {
    return ticket < this.floor || (this.lastChange.get(userId) ?? 0) > ticket;
  }
}
