import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Interaction } from './model/training-pairs';
import { LearningEvents } from '../events/learning-events.service';

/** The fine-tune's reads of the event log (what it learns from, when purchases stopped) and of items' dates. */
@Injectable()
export class InteractionsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly learning: LearningEvents,
  ) {}

  /** Interactions with live items before `now` in time order, with the configured event-type weights. */
  async before(now: Date): Promise<Interaction[]> {
    // Only what the shop learns from (purchases, unless LEARN_FROM says otherwise) weighs 1: the fine-tune
    // tells its targets from the context-only events by that weight. Ratings are read only when learned from
    // (a shop of reviews): otherwise a review repeats a purchase already read.
    const learned = new Set<string>(await this.learning.types());
    const types = [...new Set(['purchase', 'add_to_cart', 'view', ...learned])];
    const rows: Array<{
      user_id: string;
      item_id: string;
      type: string;
      occurred_at: Date;
      session_id: string | null;
    }> = await this.db.query(
      `SELECT e.user_id, e.item_id, e.type, e.occurred_at, e.session_id FROM events e
       JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
       WHERE e.occurred_at < $1 AND e.type = ANY($2::varchar[])
       ORDER BY e.occurred_at, e.id`,
      [now.toISOString(), types],
    );
    const w = this.config.eventWeights;
    return rows.map((r) => ({
      userId: r.user_id,
      itemId: r.item_id,
      timestamp: r.occurred_at,
      weight: learned.has(r.type)
        ? 1
        : r.type === 'add_to_cart'
          ? Math.min(w.add_to_cart, 0.99)
          : Math.min(w.view, 0.99),
      // Rows come in (time, arrival) order, which is what orders such steps at one instant.
      ...(learned.has(r.type) && r.type !== 'purchase'
        ? { single: true, ...(r.session_id !== null ? { sessionId: r.session_id } : {}) }
        : {}),
    }));
  }

  /** When each live item went on sale: the gate tells new arrivals from dead stock as serving does. */
  async availableFrom(): Promise<Map<string, Date>> {
    const rows: Array<{ id: string; available_from: Date }> = await this.db.query(
      `SELECT id, available_from FROM items WHERE deleted_at IS NULL`,
    );
    return new Map(rows.map((r) => [r.id, r.available_from]));
  }

  /** The latest event of a type the shop learns from (the fine-tune's clock when purchases stopped). */
  async latestPurchaseAt(): Promise<Date | null> {
    const rows: Array<{ latest: Date | null }> = await this.db.query(
      `SELECT max(occurred_at) AS latest FROM events WHERE type = ANY($1::varchar[])`,
      [await this.learning.types()],
    );
    return rows[0]?.latest ?? null;
  }
}
