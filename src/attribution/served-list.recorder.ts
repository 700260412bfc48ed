import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { ServedListsRepository, type ServedList } from './served-lists.repository';

/** What a list endpoint knows about the list it is about to answer with. */
export interface ServedListContext {
  /** The placement id, or the endpoint name when the list did not come from a placement. */
  source: string;
  isPlacement: boolean;
  userId?: string;
  sessionId?: string;
  variant?: string;
  /** The experiment the list was served under; interleaved lists also name each item's team. */
  experimentId?: string;
  itemTeams?: string[];
  modelVersion: string | null;
  strategy: string;
  itemIds: string[];
}

/** Lists written per statement: large enough to amortise the round trip, small enough to keep it short. */
const BATCH = 500;
const FLUSH_MS = 250;
const RETENTION_EVERY_MS = 60 * 60 * 1000;

/**
 * Records every served list off the request path: `record` only appends to a bounded in-memory queue and
 * returns the recommId; a timer writes the queue in batches. When the database cannot keep up the queue
 * stays bounded and what does not fit is dropped and counted, because a shopper's list must never wait
 * for its own bookkeeping.
 */
@Injectable()
export class ServedListRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ServedLists');
  private queue: ServedList[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private firstRetention: NodeJS.Immediate | undefined;
  private batchFlush: NodeJS.Immediate | undefined;
  /** Retention deletes in progress: closing waits for them rather than closing the connection under them. */
  private readonly retentions = new Set<Promise<number>>();
  private readonly servedCounters = new Map<string, { inc(): void }>();
  private readonly droppedCounters: Partial<Record<'disabled' | 'queue_full', { inc(): void }>> = {};

  constructor(
    private readonly lists: ServedListsRepository,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.flushTimer = setInterval(() => void this.flush(), FLUSH_MS);
    this.flushTimer.unref();
    // Every process runs it: the delete is idempotent, so concurrent runs only repeat work.
    this.retentionTimer = setInterval(() => void this.enforceRetention(), RETENTION_EVERY_MS);
    this.retentionTimer.unref();
    this.firstRetention = setImmediate(() => void this.enforceRetention());
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    clearImmediate(this.firstRetention);
    clearImmediate(this.batchFlush);
    await Promise.all(this.retentions);
    await this.flush();
  }

  /**
   * A new recommId for this list; the list is queued for writing, never awaited. On the request path, so it
   * allocates only the queued row: serialising happens per batch, off the request.
   */
  record(list: ServedListContext): string {
    // Time-ordered (UUIDv7: the millisecond, then 74 random bits): each list's row lands at the right edge of the
    // table's primary key rather than on a random page of it. With random ids, a table of 90 days of lists made
    // every write touch pages all over an index larger than the database's cache.
    const recommId = uuidv7();
    this.servedCounter(list.source).inc();
    if (this.queue.length >= this.config.servedListsQueueMax) {
      // SERVED_LISTS_QUEUE_MAX=0 turns recording off: every list still gets its recommId, none is stored.
      this.dropped(this.config.servedListsQueueMax === 0 ? 'disabled' : 'queue_full').inc();
      return recommId;
    }
    this.queue.push({
      recommId,
      source: list.source,
      isPlacement: list.isPlacement,
      userId: list.userId ?? null,
      sessionId: list.sessionId ?? null,
      variant: list.variant ?? null,
      experimentId: list.experimentId ?? null,
      itemTeams: list.itemTeams ?? null,
      modelVersion: list.modelVersion,
      strategy: list.strategy,
      itemIds: list.itemIds,
      servedAt: Date.now(),
    });
    // A full batch is written on a later turn of the event loop, so no request pays for serialising it.
    if (this.queue.length >= BATCH && !this.batchFlush)
      this.batchFlush = setImmediate(() => {
        this.batchFlush = undefined;
        void this.flush();
      });
    return recommId;
  }

  /** Writes everything queued so far (one batch at a time); resolves when it is stored or counted dropped. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.drain().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Erasure: the user's lists still queued are discarded and any write in progress is waited for first. */
  async forgetUser(userId: string): Promise<void> {
    this.queue = this.queue.filter((l) => l.userId !== userId);
    while (this.flushing) await this.flushing;
    await this.lists.eraseUser(userId);
  }

  /** Which of these recommIds name a stored list (queued ones count once `flush` has run). */
  existing(recommIds: string[]): Promise<Set<string>> {
    return this.lists.existing(recommIds);
  }

  /** The placement (or endpoint) of each of these recommIds that names a stored list. */
  sources(recommIds: string[]): Promise<Map<string, string>> {
    return this.lists.sources(recommIds);
  }

  /** Deletes the lists older than SERVED_LISTS_RETENTION_DAYS (counted back from `now`); resolves to how many. */
  enforceRetention(now = new Date()): Promise<number> {
    const run = this.deleteExpired(now).finally(() => this.retentions.delete(run));
    this.retentions.add(run);
    return run;
  }

  private async deleteExpired(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.servedListsRetentionDays * 86_400_000);
    try {
      return await this.lists.deleteServedBefore(cutoff);
    } catch (e) {
      this.logger.warn(`served-list retention failed: ${(e as Error).message}`);
      return 0;
    }
  }

  /** Label lookups hash their labels on every call; a list served is counted through a cached child. */
  private servedCounter(source: string): { inc(): void } {
    let c = this.servedCounters.get(source);
    if (!c) this.servedCounters.set(source, (c = this.metrics.servedLists.labels({ source })));
    return c;
  }

  private dropped(reason: 'disabled' | 'queue_full'): { inc(): void } {
    return (this.droppedCounters[reason] ??= this.metrics.servedListsDropped.labels({ reason }));
  }

  /**
   * Writes what was queued when it began, then only full batches: lists queued while a batch was being written wait
   * for the next flush unless they fill one. Chasing them wrote a busy server's lists ~25 at a time, back to back
   * (90 statements a second at 2,300 lists a second), and each statement's fixed cost (commit, the stale-days
   * trigger, a pooled connection) made PostgreSQL's CPU per list several times that of full batches.
   */
  private async drain(): Promise<void> {
    let owed = this.queue.length;
    while (this.queue.length > 0 && (owed > 0 || this.queue.length >= BATCH)) {
      const batch = this.queue.splice(0, BATCH);
      owed = Math.max(0, owed - batch.length);
      try {
        await this.lists.insert(batch);
        this.metrics.servedListsWritten.inc(batch.length);
      } catch (e) {
        // A failed batch is not retried: retrying while the database is down would only grow memory.
        this.metrics.servedListsDropped.inc({ reason: 'write_failed' }, batch.length);
        this.logger.warn(`dropped ${batch.length} served lists: ${(e as Error).message}`);
        return;
      }
    }
  }
}
