import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { tryLock } from '../database/advisory-lock';
import { AdvisoryLock } from '../database/locks';
import { liveCtes, staleCte } from './analytics.sql';

export interface RollupResult {
  /** Rolled-up days a write had touched, computed again. */
  recomputed: number;
  /** Closed days without a rollup (or one with another attribution window), computed. */
  computed: number;
  /** Days dropped because their served lists are past SERVED_LISTS_RETENTION_DAYS. */
  expired: number;
  /** Marks of touched days consumed. */
  marks: number;
}

/** Missing days computed per transaction: a long backfill commits as it goes and never holds one snapshot for long. */
const BACKFILL_DAYS = 7;

/**
 * The rollup job: keeps `analytics_daily` equal to what the raw rows say for every closed UTC day within
 * retention. Each pass runs in one REPEATABLE READ transaction, so the marks it consumes and the rows it
 * computes from are the same snapshot: a write that commits during the pass leaves its mark for the next
 * pass, and readers compute that day from the raw rows until then. Days are only ever recomputed whole.
 */
@Injectable()
export class AnalyticsRollups implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AnalyticsRollups');
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<RollupResult | undefined> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly server: boolean,
  ) {}

  onModuleInit(): void {
    if (!this.server) return;
    this.timer = setInterval(() => this.refreshSoon(0), this.config.analyticsRollupIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.running?.catch(() => undefined);
  }

  /** Asks for a pass shortly (coalesced), e.g. after an erasure, so no rollup keeps the erased rows' share. */
  refreshSoon(delayMs = 1000): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.refresh().catch((e: unknown) =>
        this.logger.warn(`analytics rollup failed: ${(e as Error).message}`),
      );
    }, delayMs);
    this.soon.unref();
  }

  /**
   * Brings the rollups up to date; undefined when another process is doing it. Concurrent calls in this
   * process share one run.
   */
  refresh(): Promise<RollupResult | undefined> {
    this.running ??= this.refreshLocked().finally(() => (this.running = undefined));
    return this.running;
  }

  private async refreshLocked(): Promise<RollupResult | undefined> {
    const r = await tryLock(this.db, AdvisoryLock.AnalyticsRollup, async () => {
      const total: RollupResult = { recomputed: 0, computed: 0, expired: 0, marks: 0 };
      for (;;) {
        const pass = await this.db.transaction('REPEATABLE READ', (m) => this.pass(m));
        total.recomputed += pass.recomputed;
        total.computed += pass.computed;
        total.expired += pass.expired;
        total.marks += pass.marks;
        if (!pass.more) return total;
      }
    });
    return r.held ? r.value : undefined;
  }

  private async pass(m: EntityManager): Promise<RollupResult & { more: boolean }> {
    const window = this.config.attributionWindowHours;
    // See AnalyticsRepository: compiling these statements costs more than running them.
    await m.query('SET LOCAL jit = off');
    const [clock]: Array<{ today: string; cutoff: string }> = await m.query(
      `SELECT (now() AT TIME ZONE 'UTC')::date::text AS today,
              ((now() - make_interval(days => $1::int)) AT TIME ZONE 'UTC')::date::text AS cutoff`,
      [this.config.servedListsRetentionDays],
    );
    // A day that starts before the retention cutoff is (being) deleted from served_lists: its rollup goes too.
    const expired: Array<{ n: string }> = await m.query(
      `WITH del AS (DELETE FROM analytics_days WHERE day < $1::date RETURNING 1) SELECT count(*)::bigint AS n FROM del`,
      [clock.cutoff],
    );
    await m.query(`DELETE FROM analytics_daily WHERE day < $1::date`, [clock.cutoff]);
    await m.query(`DELETE FROM analytics_daily_unpriced WHERE day < $1::date`, [clock.cutoff]);

    const touched: Array<{ day: string }> = await m.query(
      `WITH ${staleCte('$1')}
       SELECT a.day::text AS day FROM analytics_days a
       WHERE a.day IN (SELECT day FROM stale) AND a.day >= $2::date AND a.day < $3::date
       ORDER BY a.day`,
      [window, clock.cutoff, clock.today],
    );
    const missing: Array<{ day: string }> = await m.query(
      `SELECT ($3::date - k)::text AS day
       FROM generate_series(1, greatest($3::date - $2::date, 0)) k
       WHERE NOT EXISTS (SELECT 1 FROM analytics_days a WHERE a.day = $3::date - k AND a.window_hours = $1::int)
         AND ($3::date - k) <> ALL ($4::date[])
       ORDER BY k
       LIMIT $5`,
      [window, clock.cutoff, clock.today, touched.map((t) => t.day), BACKFILL_DAYS],
    );
    // One statement per day keeps each under the statement timeout however large the backlog.
    for (const { day } of [...touched, ...missing]) await this.computeDay(m, day, window);
    // Every mark visible to this snapshot has now been acted on; marks committed since stay for the next pass.
    const marks: Array<{ n: string }> = await m.query(
      `WITH del AS (DELETE FROM analytics_stale RETURNING 1) SELECT count(*)::bigint AS n FROM del`,
    );
    return {
      recomputed: touched.length,
      computed: missing.length,
      expired: Number(expired[0]?.n ?? 0),
      marks: Number(marks[0]?.n ?? 0),
      more: missing.length === BACKFILL_DAYS,
    };
  }

  private async computeDay(m: EntityManager, day: string, window: number): Promise<void> {
    await m.query(`DELETE FROM analytics_daily WHERE day = $1::date`, [day]);
    await m.query(`DELETE FROM analytics_daily_unpriced WHERE day = $1::date`, [day]);
    await m.query(
      `WITH ranges AS (
         SELECT $1::date::timestamp AT TIME ZONE 'UTC' AS lo, ($1::date + 1)::timestamp AT TIME ZONE 'UTC' AS hi
       ),
       ${liveCtes({ placement: 'NULL', windowHours: '$2' })},
       groups AS (
         INSERT INTO analytics_daily (day, source, variant, model_version, lists, items_shown, clicks, carts,
                                      purchases, revenue, est_purchases, est_revenue)
         SELECT day, source, variant, model_version, lists, items_shown, clicks, carts, purchases, revenue,
                est_purchases, est_revenue
         FROM live_groups
         RETURNING 1
       ),
       unpriced AS (
         INSERT INTO analytics_daily_unpriced (day, source, variant, model_version, item_id, units, est_units)
         SELECT day, source, variant, model_version, item_id, units, est_units FROM live_unpriced
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM groups) AS groups, (SELECT count(*) FROM unpriced) AS unpriced`,
      [day, window],
    );
    await m.query(
      `INSERT INTO analytics_days (day, window_hours, computed_at) VALUES ($1::date, $2, now())
       ON CONFLICT (day) DO UPDATE SET window_hours = EXCLUDED.window_hours, computed_at = EXCLUDED.computed_at`,
      [day, window],
    );
  }
}
