import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UserChanges } from '../events/user-changes';
import type { RecommendationList } from './response';

interface Entry {
  at: number;
  /** What the list was computed from (model version, blend): compared by identity. */
  inputs: readonly unknown[];
  list: RecommendationList;
  /** Epoch ms from which the list is stale whatever the TTL (a merchandising rule's window boundary). */
  expiresAt: number;
  /** Estimated heap bytes of the entry, its key and its list. */
  bytes: number;
}

/** One user's lists, least recently used first (Map order: a hit or a write re-inserts the entry last). */
interface UserLists {
  lists: Map<string, Entry>;
  bytes: number;
  /** When one of the user's lists was last read or written: users are kept in this order. */
  touched: number;
}

// Rough V8 costs per object (header, fields, Map entry), fitted to the heap measured by bench/list-cache-memory.ts.
const ENTRY_OVERHEAD = 200;
const USER_OVERHEAD = 200;
const ITEM_OVERHEAD = 72;
const REASON_OVERHEAD = 48;
const ARRAY_SLOT = 8;
const stringBytes = (s: string) => 24 + 2 * s.length;

/**
 * Heap bytes an entry holds, estimated from its shape: strings at two bytes a character (V8 may store them
 * in one, so this errs high), fixed costs per object. Walking the list is cheaper than serialising it and
 * bounds what matters: the count of items and the length of the ids a client chose.
 */
export function estimateEntryBytes(key: string, list: RecommendationList): number {
  let bytes = ENTRY_OVERHEAD + stringBytes(key) + stringBytes(list.strategy);
  if (list.stage) {
    bytes += REASON_OVERHEAD;
    for (const k of list.stage.active) bytes += ARRAY_SLOT + stringBytes(k);
    for (const k of Object.keys(list.stage.removed)) bytes += ARRAY_SLOT + stringBytes(k);
  }
  if (list.modelVersion) bytes += stringBytes(list.modelVersion);
  for (const item of list.items) {
    bytes += ITEM_OVERHEAD + ARRAY_SLOT + stringBytes(item.id);
    if (item.rules) for (const k of item.rules) bytes += ARRAY_SLOT + stringBytes(k);
    const reason = item.reason;
    if (reason) {
      bytes += REASON_OVERHEAD;
      if ('itemIds' in reason) for (const id of reason.itemIds) bytes += ARRAY_SLOT + stringBytes(id);
    }
  }
  return bytes;
}

/**
 * Personalised lists reused while nothing they were computed from changed: the user's events (dropped on
 * ingest or erase, like the profile cache), the served model version and the blend (compared on every read),
 * within RECS_CACHE_TTL_MS so new catalog items, popularity and co-purchase drift catch up. The caller
 * re-checks each listed item against the catalog's current rules (deleted, stock, price) before serving a hit.
 * Every process's ingest and erasures reach this cache through UserChanges (the change feed).
 *
 * Bounded because the key is client-chosen (every `minPrice` is another list): per user by lists and bytes,
 * in total by users, lists and bytes. The least recently used list of the least recently used user goes
 * first, so one user's key churn evicts that user's own lists before anyone else's.
 */
@Injectable()
export class RecommendationCache implements OnModuleInit, OnModuleDestroy {
  /** Least recently used user first (re-inserted on every hit and write). */
  private readonly byUser = new Map<string, UserLists>();
  private readonly sub: Subscription;
  private totalLists = 0;
  private totalBytes = 0;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly changes: UserChanges,
  ) {
    this.sub = changes.changes$.subscribe((ids) => ids.forEach((id) => this.dropUser(id)));
    this.sub.add(changes.cleared$.subscribe(() => this.clear()));
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    // Expired lists are otherwise only dropped when read again, and most are never read again: the cache
    // would fill to its byte bound even on a quiet shop. A sweep keeps it at what the last TTL served.
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.config.recsCacheTtlMs / 4));
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    this.sub.unsubscribe();
    clearInterval(this.sweeper);
  }

  /**
   * Drops the users none of whose lists was read or written within the TTL (all their lists have expired).
   * Users are kept least recently touched first, so this looks at no user it keeps but the first.
   */
  sweep(now = Date.now()): void {
    for (const [userId, user] of this.byUser) {
      if (now - user.touched <= this.config.recsCacheTtlMs) return;
      this.dropUser(userId);
    }
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
    const user = this.byUser.get(userId);
    const entry = user?.lists.get(key);
    if (!user || !entry) return undefined;
    if (
      now - entry.at > this.config.recsCacheTtlMs ||
      now >= entry.expiresAt ||
      entry.inputs.length !== inputs.length ||
      entry.inputs.some((x, i) => x !== inputs[i])
    ) {
      this.dropList(userId, user, key, entry);
      return undefined;
    }
    user.lists.delete(key);
    user.lists.set(key, entry);
    user.touched = now;
    this.byUser.delete(userId);
    this.byUser.set(userId, user);
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
    expiresAt = Infinity,
  ): void {
    if (!this.enabled || this.changes.changedSince(userId, ticket)) return;
    const bytes = estimateEntryBytes(key, list);
    const c = this.config;
    let user = this.byUser.get(userId);
    const old = user?.lists.get(key);
    if (user && old) this.dropList(userId, user, key, old);
    // A list that alone exceeds a byte bound would evict everything else and then not fit: not kept.
    if (bytes + USER_OVERHEAD > Math.min(c.recsCacheMaxBytesPerUser, c.recsCacheMaxBytes)) return;
    user = this.byUser.get(userId);
    if (user) this.byUser.delete(userId);
    else {
      user = { lists: new Map(), bytes: USER_OVERHEAD, touched: now };
      this.totalBytes += USER_OVERHEAD;
    }
    user.touched = now;
    this.byUser.set(userId, user);
    user.lists.set(key, { at: now, inputs, list, expiresAt, bytes });
    user.bytes += bytes;
    this.totalLists += 1;
    this.totalBytes += bytes;

    while (user.lists.size > c.recsCacheMaxListsPerUser || user.bytes > c.recsCacheMaxBytesPerUser) {
      const [oldestKey, oldest] = user.lists.entries().next().value!;
      this.dropList(userId, user, oldestKey, oldest);
    }
    while (
      this.byUser.size > c.recsCacheMaxUsers ||
      this.totalLists > c.recsCacheMaxLists ||
      this.totalBytes > c.recsCacheMaxBytes
    ) {
      const [lruId, lru] = this.byUser.entries().next().value!;
      const [oldestKey, oldest] = lru.lists.entries().next().value!;
      this.dropList(lruId, lru, oldestKey, oldest);
    }
  }

  /** Whether a list is cached for these inputs and younger than half the TTL (no need to warm it again). */
  isFresh(userId: string, key: string, inputs: readonly unknown[], now = Date.now()): boolean {
    const entry = this.byUser.get(userId)?.lists.get(key);
    return (
      entry !== undefined &&
      now - entry.at <= this.config.recsCacheTtlMs / 2 &&
      now < entry.expiresAt &&
      entry.inputs.length === inputs.length &&
      entry.inputs.every((x, i) => x === inputs[i])
    );
  }

  /** Users with at least one cached list. */
  get users(): number {
    return this.byUser.size;
  }

  /** Lists cached, over all users. */
  get lists(): number {
    return this.totalLists;
  }

  /** Estimated heap bytes held by the cached lists. */
  get bytes(): number {
    return this.totalBytes;
  }

  private dropList(userId: string, user: UserLists, key: string, entry: Entry): void {
    user.lists.delete(key);
    user.bytes -= entry.bytes;
    this.totalLists -= 1;
    this.totalBytes -= entry.bytes;
    if (user.lists.size === 0) {
      this.byUser.delete(userId);
      this.totalBytes -= USER_OVERHEAD;
    }
  }

  private dropUser(userId: string): void {
    const user = this.byUser.get(userId);
    if (!user) return;
    this.byUser.delete(userId);
    this.totalLists -= user.lists.size;
    this.totalBytes -= user.bytes;
  }

  /** Drops every list (a bulk change or a reconnect of the change feed: anything may have changed). */
  private clear(): void {
    this.byUser.clear();
    this.totalLists = 0;
    this.totalBytes = 0;
  }
}
