import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsRepository, type UserItemAggregate } from '../events/events.repository';
import { UserChanges } from '../events/user-changes';
import { OldestFirst } from '../common/oldest-first';

export interface ProfileItem {
  itemId: string;
  /** Purchase events of this item. */
  purchases: number;
  /** Events of any type on this item. */
  events: number;
  /** The strongest event type's weight (a rating's preference, −1…+1, when rated). */
  typeWeight: number;
  /**
   * log(1 + events) × 2^(−age / half-life) × typeWeight: the weight of this item in the profile vector, the same
   * formula the fine-tune trains its contexts with.
   */
  weight: number;
  lastAt: Date;
}

export interface UserProfile {
  userId: string;
  items: ProfileItem[];
  events: number;
}

const CACHE_MAX_USERS = 10_000;
/**
 * A cached history not read for this long is dropped: its user has left, and a return costs one indexed query.
 * Without it the cache only grows until its bounds, with shoppers of hours ago.
 */
export const PROFILE_IDLE_MS = 300_000;
// Rough V8 costs, as the list cache's: an aggregate object with its Date, a Map entry and array of a user.
const AGGREGATE_BYTES = 160;
const USER_BYTES = 200;

interface CachedHistory {
  items: UserItemAggregate[];
  bytes: number;
  usedAt: number;
}

/** Estimated heap bytes of one user's cached history. */
export function historyBytes(userId: string, items: readonly UserItemAggregate[]): number {
  let bytes = USER_BYTES + 2 * userId.length;
  for (const a of items) bytes += AGGREGATE_BYTES + 2 * a.itemId.length;
  return bytes;
}

/**
 * A user's profile from their most recent events: purchase > add_to_cart > view (configurable weights),
 * ratings shift the weight by preference, and every event decays with a configurable half-life.
 * The events' aggregates are cached per user and dropped as soon as the user's events change (ingest or
 * erase), when unused for PROFILE_IDLE_MS, and least recently used first past 10,000 users or
 * PROFILE_CACHE_MAX_BYTES (a shop with long histories would otherwise hold gigabytes).
 */
@Injectable()
export class ProfileService implements OnModuleInit, OnModuleDestroy {
  /** Least recently used first (a hit re-inserts). */
  private readonly cache = new Map<string, CachedHistory>();
  private readonly oldest = new OldestFirst(this.cache);
  private bytes = 0;
  private readonly sub: Subscription;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly events: EventsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly changes: UserChanges,
  ) {
    this.sub = changes.changes$.subscribe((ids) => ids.forEach((id) => this.drop(id)));
    this.sub.add(
      changes.cleared$.subscribe(() => {
        this.cache.clear();
        this.bytes = 0;
      }),
    );
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => this.sweep(), PROFILE_IDLE_MS / 5);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    this.sub.unsubscribe();
    clearInterval(this.sweeper);
  }

  async profile(userId: string, now: Date): Promise<UserProfile> {
    const used = Date.now();
    const hit = this.cache.get(userId);
    let items = hit?.items;
    if (hit) {
      this.cache.delete(userId);
      this.cache.set(userId, hit);
      hit.usedAt = used;
    } else {
      const ticket = this.changes.ticket();
      items = await this.events.recentItemAggregates(userId, now, this.config.profileMaxEvents);
      if (!this.changes.changedSince(userId, ticket)) this.keep(userId, items, used);
    }
    return buildProfile(userId, items!, now, this.config);
  }

  /** Users with a cached history. */
  get users(): number {
    return this.cache.size;
  }

  /** Estimated heap bytes of the cached histories. */
  get cachedBytes(): number {
    return this.bytes;
  }

  /** Drops the histories unused for PROFILE_IDLE_MS (least recently used first, so it stops at the first kept). */
  sweep(now = Date.now()): void {
    for (const [userId, h] of this.cache) {
      if (now - h.usedAt <= PROFILE_IDLE_MS) return;
      this.drop(userId);
    }
  }

  private keep(userId: string, items: UserItemAggregate[], usedAt: number): void {
    const bytes = historyBytes(userId, items);
    if (bytes > this.config.profileCacheMaxBytes) return;
    this.drop(userId);
    this.cache.set(userId, { items, bytes, usedAt });
    this.bytes += bytes;
    while (this.cache.size > CACHE_MAX_USERS || this.bytes > this.config.profileCacheMaxBytes)
      this.bytes -= this.oldest.shift()![1].bytes;
  }

  private drop(userId: string): void {
    const h = this.cache.get(userId);
    if (!h) return;
    this.cache.delete(userId);
    this.bytes -= h.bytes;
  }
}

/**
 * Weights of a user's items: the strongest event type's weight (the latest rating's preference instead, when
 * rated: 1 → −1, 3 → 0, 5 → +1, so a bad rating pushes the item's neighbourhood away) × log(1 + events) ×
 * 2^(−age / half-life) of the latest event.
 */
export function buildProfile(
  userId: string,
  aggregates: readonly UserItemAggregate[],
  now: Date,
  config: Pick<AppConfig, 'profileHalfLifeDays' | 'eventWeights'>,
): UserProfile {
  const halfLifeMs = config.profileHalfLifeDays * 86_400_000;
  const w = config.eventWeights;
  let counted = 0;
  const items: ProfileItem[] = [];
  for (const a of aggregates) {
    // Cached aggregates may be older than a request's clock, never newer: nothing in the future is counted.
    if (a.lastAt.getTime() >= now.getTime()) continue;
    counted += a.events;
    const typeWeight =
      a.rating !== null
        ? (a.rating - 3) / 2
        : Math.max(
            a.purchases > 0 ? w.purchase : -Infinity,
            a.addToCarts > 0 ? w.add_to_cart : -Infinity,
            a.views > 0 ? w.view : -Infinity,
          );
    const age = Math.max(0, now.getTime() - a.lastAt.getTime());
    items.push({
      itemId: a.itemId,
      purchases: a.purchases,
      events: a.events,
      typeWeight,
      weight: Math.log1p(a.events) * Math.pow(2, -age / halfLifeMs) * typeWeight,
      lastAt: a.lastAt,
    });
  }
  return { userId, items, events: counted };
}
