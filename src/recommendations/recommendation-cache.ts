import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UserChanges } from '../events/user-changes';
import type { RecommendationList } from './response';

interface Entry {
  at: number;
  /** What the list was computed from (model version, blend): compared by identity. */
  inputs: readonly unknown[];
  list: RecommendationList;
}

/**
 * Personalised lists reused while nothing they were computed from changed: the user's events (dropped on
 * ingest or erase, like the profile cache), the served model version and the blend (compared on every read),
 * within RECS_CACHE_TTL_MS so new catalog items, popularity and co-purchase drift catch up. The caller
 * re-checks each listed item against the catalog's current rules (deleted, stock, price) before serving a hit.
 * Every process's ingest and erasures reach this cache through UserChanges (the change feed).
 */
@Injectable()
export class RecommendationCache implements OnModuleDestroy {
  private readonly byUser = new Map<string, Map<string, Entry>>();
  private readonly sub: Subscription;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly changes: UserChanges,
  ) {
    this.sub = changes.changes$.subscribe((ids) => ids.forEach((id) => this.byUser.delete(id)));
    this.sub.add(changes.cleared$.subscribe(() => this.byUser.clear()));
  }

  onModuleDestroy(): void {
    this.sub.unsubscribe();
  }

  get enabled(): boolean {
    return this.config.recsCacheTtlMs > 0;
  }

  get(
    userId: string,
    key: string,
    inputs: readonly unknown[],
    now = Date.now(),
  ): RecommendationList | undefined {
    const entry = this.byUser.get(userId)?.get(key);
    if (!entry) return undefined;
    if (
      now - entry.at > this.config.recsCacheTtlMs ||
      entry.inputs.length !== inputs.length ||
      entry.inputs.some((x, i) => x !== inputs[i])
    ) {
      this.byUser.get(userId)?.delete(key);
      return undefined;
    }
    return entry.list;
  }

  /** Taken before computing a list; `set` refuses the list if the user's events changed since. */
  ticket(): number {
    return this.changes.ticket();
  }

  set(
    userId: string,
    key: string,
    inputs: readonly unknown[],
    list: RecommendationList,
    ticket: number,
    now = Date.now(),
  ): void {
    if (!this.enabled || this.changes.changedSince(userId, ticket)) return;
    let lists = this.byUser.get(userId);
    if (lists) this.byUser.delete(userId);
    else lists = new Map();
    // Re-inserted last: the Map's order is then least recently written first, the one to drop.
    this.byUser.set(userId, lists);
    lists.set(key, { at: now, inputs, list });
    while (this.byUser.size > this.config.recsCacheMaxUsers)
      this.byUser.delete(this.byUser.keys().next().value!);
  }

  /** Whether a list is cached for these inputs and younger than half the TTL (no need to warm it again). */
  isFresh(userId: string, key: string, inputs: readonly unknown[], now = Date.now()): boolean {
    const entry = this.byUser.get(userId)?.get(key);
    return (
      entry !== undefined &&
      now - entry.at <= this.config.recsCacheTtlMs / 2 &&
      entry.inputs.length === inputs.length &&
      entry.inputs.every((x, i) => x === inputs[i])
    );
  }

  /** Users with at least one cached list. */
  get users(): number {
    return this.byUser.size;
  }
}
