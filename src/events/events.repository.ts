import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { preparedRows } from '../database/prepared-query';
import type { EventType } from './event.entity';
import type { RowQuery } from './learning-events';
import { LearningEvents } from './learning-events.service';
import { countEventsAndUsers, recentlyActiveUsers } from './user-activity';

export interface NewEvent {
  eventId: string | null;
  userId: string;
  itemId: string;
  type: EventType;
  value: number | null;
  sessionId: string | null;
  occurredAt: Date;
  /** Attribution: the served list the interaction came from, the 1-based place in it, the unit price paid. */
  recommId?: string | null;
  position?: number | null;
  price?: number | null;
}

export interface StoredEvent extends NewEvent {
  receivedAt: Date;
}

interface EventRow {
  event_id: string | null;
  user_id: string;
  item_id: string;
  type: EventType;
  value: number | null;
  session_id: string | null;
  occurred_at: Date;
  received_at: Date;
}

/** One item's share of a user's most recent events, aggregated by PostgreSQL. */
export interface UserItemAggregate {
  itemId: string;
  events: number;
  purchases: number;
  addToCarts: number;
  views: number;
  /** The latest rating's value, when the item was rated. */
  rating: number | null;
  lastAt: Date;
}

/** The events' side of PostgreSQL. */
@Injectable()
export class EventsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly learning: LearningEvents,
  ) {}

  /**
   * Inserts a batch in one statement; repeated idempotency keys (already stored, or twice in the batch)
   * are skipped by the unique index. Returns how many rows were stored.
   */
  async insert(events: NewEvent[], manager: EntityManager = this.db.manager): Promise<number> {
    return (await this.insertCountingClicks(events, manager)).stored;
  }

  /** `insert`, also naming the recommId of every click (a `view` with a recommId) actually stored. */
  async insertCountingClicks(
    events: NewEvent[],
    manager: EntityManager = this.db.manager,
  ): Promise<{ stored: number; clicks: string[] }> {
    if (events.length === 0) return { stored: 0, clicks: [] };
    // Column arrays + unnest: one round trip and one plan for the whole batch, the fastest bulk path short of COPY.
    const rows: Array<{ n: string; clicks: string[] | null }> = await manager.query(
      `WITH ins AS (
         INSERT INTO events (event_id, user_id, item_id, type, value, session_id, occurred_at, recomm_id, position, price)
         SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::float8[], $6::varchar[], $7::timestamptz[],
                              $8::varchar[], $9::int[], $10::float8[])
         ON CONFLICT (event_id) DO NOTHING
         RETURNING type, recomm_id)
       SELECT count(*)::bigint AS n,
              array_agg(recomm_id) FILTER (WHERE type = 'view' AND recomm_id IS NOT NULL) AS clicks
       FROM ins`,
      [
        events.map((e) => e.eventId),
        events.map((e) => e.userId),
        events.map((e) => e.itemId),
        events.map((e) => e.type),
        events.map((e) => e.value),
        events.map((e) => e.sessionId),
        events.map((e) => e.occurredAt.toISOString()),
        events.map((e) => e.recommId ?? null),
        events.map((e) => e.position ?? null),
        events.map((e) => e.price ?? null),
      ],
    );
    return { stored: Number(rows[0]?.n ?? 0), clicks: rows[0]?.clicks ?? [] };
  }

  async recentForUser(userId: string, limit: number): Promise<StoredEvent[]> {
    const rows: EventRow[] = await this.db.query(
      `SELECT event_id, user_id, item_id, type, value, session_id, occurred_at, received_at
       FROM events WHERE user_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2`,
      [userId, limit],
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      userId: r.user_id,
      itemId: r.item_id,
      type: r.type,
      value: r.value,
      sessionId: r.session_id,
      occurredAt: r.occurred_at,
      receivedAt: r.received_at,
    }));
  }

  /**
   * A user's `limit` most recent events before `before`, per item: one row per item instead of one per event, so
   * a wholesale customer's thousand events cost a few dozen rows on the wire.
   */
  async recentItemAggregates(userId: string, before: Date, limit: number): Promise<UserItemAggregate[]> {
    // Read on every personalised list whose profile is not cached: prepared, rows as arrays, and the last
    // event as epoch milliseconds (a number is parsed far faster than a timestamp's text).
    const rows = (await preparedRows(
      this.db,
      'events.recent_item_aggregates',
      `SELECT item_id,
              count(*)::int AS events,
              count(*) FILTER (WHERE type = ANY($4::varchar[]))::int AS purchases,
              count(*) FILTER (WHERE type = 'add_to_cart')::int AS carts,
              count(*) FILTER (WHERE type = 'view')::int AS views,
              (array_agg(value ORDER BY occurred_at DESC, id DESC) FILTER (WHERE type = 'rating'))[1] AS rating,
              floor(extract(epoch FROM max(occurred_at)) * 1000)::float8 AS last_ms
       FROM (SELECT id, item_id, type, value, occurred_at FROM events
             WHERE user_id = $1 AND occurred_at < $2
             ORDER BY occurred_at DESC, id DESC LIMIT $3) recent
       GROUP BY item_id`,
      // "Purchases" are the events the shop learns from (LEARN_FROM), as in every learned signal.
      [userId, before.toISOString(), limit, await this.learning.types()],
    )) as Array<[string, number, number, number, number, number | null, number]>;
    return rows.map((r) => ({
      itemId: r[0],
      events: r[1],
      purchases: r[2],
      addToCarts: r[3],
      views: r[4],
      rating: r[5],
      lastAt: new Date(r[6]),
    }));
  }

  async eraseUser(userId: string): Promise<number> {
    const rows: Array<{ n: string }> = await this.db.query(
      `WITH del AS (DELETE FROM events WHERE user_id = $1 RETURNING 1) SELECT count(*)::bigint AS n FROM del`,
      [userId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The `limit` users with the most recent events, most recent first (user-activity.ts: the newest events only). */
  recentlyActiveUsers(limit: number): Promise<string[]> {
    return recentlyActiveUsers(this.rows, limit);
  }

  /** Events stored and distinct users (user-activity.ts: users counted along the user index where they are few). */
  counts(): Promise<{ events: number; users: number }> {
    return countEventsAndUsers(this.rows);
  }

  private readonly rows: RowQuery = (sql, params) => this.db.query(sql, params);
}
