import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { exhaustedByExposure } from '../ranking/new-arrivals';
import { ExposureRepository } from './exposure.repository';

const DAY_MS = 86_400_000;

/**
 * Lists served less than this long ago are left for the next refresh. The recorder writes a list within a
 * second or so of serving it; counting a window that is still being written would miss its late lists for good,
 * since each window is read once.
 */
export const EXPOSURE_SETTLE_MS = 30_000;

interface Exposure {
  availableFrom: number;
  impressions: number;
  clicks: number;
}

/**
 * The explore/exploit half of the new-arrival rule, for serving: how often each new arrival was shown and
 * clicked, in memory, so a request never queries for it. Every NEW_ARRIVAL_EXPOSURE_REFRESH_MS a server reads
 * the lists served since its last read (all processes' lists: they are in PostgreSQL) joined to the current new
 * arrivals, adds their impressions, and re-counts their clicks; the first read covers the whole
 * NEW_ARRIVAL_DAYS window. `exhausted` then applies NEW_ARRIVAL_IMPRESSIONS_PER_CLICK (exhaustedByExposure).
 */
@Injectable()
export class NewArrivalExposure implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('NewArrivalExposure');
  private counts = new Map<string, Exposure>();
  /** Lists served before this moment (epoch ms) are counted; undefined: nothing read yet. */
  private countedUntil: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private changes = 0;

  constructor(
    private readonly repo: ExposureRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly server: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.server || this.config.newArrivalImpressionsPerClick === 0) return;
    const tick = () =>
      void this.refresh().catch((e: unknown) =>
        this.logger.warn(`new-arrival exposure refresh failed: ${(e as Error).message}`),
      );
    // Not awaited: the first read covers a whole window of served lists. Until it lands every new arrival
    // keeps its place, as on a shop that served none yet.
    tick();
    this.timer = setInterval(tick, this.config.newArrivalExposureRefreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Whether the item was shown often enough without clicks to lose its new-arrival place. */
  exhausted(id: string): boolean {
    const c = this.counts.get(id);
    return (
      c !== undefined &&
      exhaustedByExposure(c.impressions, c.clicks, this.config.newArrivalImpressionsPerClick)
    );
  }

  /** Changes whenever an item gains or loses its place by this rule: lists cached before are made afresh. */
  get generation(): number {
    return this.changes;
  }

  /** Impressions and clicks as of `now` (lists served up to EXPOSURE_SETTLE_MS before it); one read at a time. */
  refresh(now = new Date()): Promise<void> {
    const next = this.running.then(() => this.read(now.getTime()));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async read(nowMs: number): Promise<void> {
    const arrivedSince = nowMs - this.config.newArrivalDays * DAY_MS;
    const from = Math.max(this.countedUntil ?? arrivedSince, arrivedSince);
    const until = Math.max(from, nowMs - EXPOSURE_SETTLE_MS);
    const rows = await this.repo.newArrivals({
      arrivedSince: new Date(arrivedSince),
      now: new Date(nowMs),
      shownFrom: new Date(from),
      shownUntil: new Date(until),
    });
    const next = new Map<string, Exposure>();
    // Items past their window are no new arrivals any more: their counts go.
    for (const [id, c] of this.counts) if (c.availableFrom >= arrivedSince) next.set(id, c);
    for (const r of rows) {
      const before = next.get(r.itemId);
      next.set(r.itemId, {
        availableFrom: r.availableFrom.getTime(),
        impressions: (before?.impressions ?? 0) + r.impressions,
        clicks: r.clicks,
      });
    }
    const flipped = [...new Set([...this.counts.keys(), ...next.keys()])].some((id) => {
      const was = this.exhausted(id);
      const c = next.get(id);
      const is =
        c !== undefined &&
        exhaustedByExposure(c.impressions, c.clicks, this.config.newArrivalImpressionsPerClick);
      return was !== is;
    });
    this.counts = next;
    this.countedUntil = until;
    if (flipped) this.changes += 1;
  }
}
