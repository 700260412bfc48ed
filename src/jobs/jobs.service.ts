import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { acquireIfFree, release, withLock } from '../database/advisory-lock';
import { jobKindLock, type JobKindLockKey } from '../database/locks';
import type { JobStatus } from './job.entity';
import { JobsRepository, type Job } from './jobs.repository';

export interface JobContext {
  job: Job;
  progress(done: number, total: number): void;
}
export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown>>;

/**
 * Each lane has its own runner in every process, so a job never waits behind one of another lane: a reindex
 * or a new item's embedding (`index`) is not held up by an hour-long fine-tune (`training`).
 */
export const JOB_LANES = ['index', 'training'] as const;
export type JobLane = (typeof JOB_LANES)[number];

/**
 * Jobs: admin endpoints and schedulers enqueue (an identical queued job is reused, not repeated); one runner
 * per lane claims queued jobs of its lane with FOR UPDATE SKIP LOCKED (so replicas never run the same job)
 * and holds a per-kind advisory lock while a job runs (so two replicas never run, say, two reindexes at once).
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly handlers = new Map<string, { handler: JobHandler; lane: JobLane }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly busy = new Map<JobLane, Promise<void>>();
  /**
   * Lanes poked while their runner was busy. A job queued after the runner's last (empty) claim but before it
   * exits would otherwise wait for the next poll tick, or forever with polling off.
   */
  private readonly pokedWhileBusy = new Set<JobLane>();
  private stopped = false;
  /**
   * The async context this service was built in (start-up: no request). Runners start from whatever called
   * `enqueue` — often a request — and would otherwise inherit its context, so every log line of a job would
   * carry the request id of the request that happened to queue it.
   */
  private readonly outsideRequests = AsyncLocalStorage.snapshot();

  constructor(
    private readonly jobs: JobsRepository,
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
  ) {}

  register(kind: string, handler: JobHandler, lane: JobLane = 'index'): void {
    this.handlers.set(kind, { handler, lane });
  }

  async onApplicationBootstrap(): Promise<void> {
    const failed = await this.jobs.failOrphans();
    if (failed > 0) this.logger.warn(`${failed} interrupted job(s) marked failed`);
    if (this.polling && this.config.jobsWorker) {
      this.timer = setInterval(() => this.poke(), this.config.jobsPollMs);
      this.timer.unref();
    }
  }

  /**
   * Before the database closes (that happens on application shutdown), so the running jobs' outcomes are still
   * recorded; jobs running in a child process have been stopped by then (JobProcesses, on module destroy).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.busy.values());
  }

  /** Queues a job; when the same kind with the same parameters is already queued, returns that one instead. */
  async enqueue(kind: string, params: Record<string, unknown> = {}): Promise<Job> {
    if (!this.handlers.has(kind)) throw new Error(`unknown job kind "${kind}"`);
    const { job, created } = await this.jobs.enqueue(kind, params);
    if (!created) this.logger.log(`job ${job.id} (${kind}) is already queued with these parameters`);
    if (this.polling && this.config.jobsWorker) this.poke();
    return job;
  }

  /**
   * Runs `fn` holding the advisory lock that a job of `kind` holds while it runs, for work that does what such a
   * job does from inside another job (the fine-tune rebuilding the co-purchase neighbours): the two never overlap.
   */
  underKindLock<T>(kind: string, fn: () => Promise<T>): Promise<T> {
    return withLock(this.db, jobKindLock(kind), fn);
  }

  /** A queued job of this kind exists (a running one does not count: it may have started before the change). */
  hasQueued(kind: string): Promise<boolean> {
    return this.jobs.hasQueued(kind);
  }

  get(id: string): Promise<Job | null> {
    return this.jobs.find(id);
  }

  /** When the last successful job of this kind started and finished (undefined: none has). */
  lastSucceeded(kind: string): Promise<{ startedAt: Date; finishedAt: Date } | undefined> {
    return this.jobs.lastSucceeded(kind);
  }

  /** The newest jobs first (GET /v1/admin/jobs), optionally only those of some statuses. */
  list(statuses: readonly JobStatus[] | undefined, limit: number): Promise<Job[]> {
    return this.jobs.list(statuses, limit);
  }

  /**
   * Runs the handler of a job another process claimed and owns (a server running it in a child process): the
   * owner holds the job's lock and records its outcome, so this neither claims nor finishes the row.
   */
  async runClaimed(
    id: string,
    progress: (done: number, total: number) => void,
  ): Promise<Record<string, unknown>> {
    const job = await this.jobs.find(id);
    if (!job) throw new Error(`job ${id} not found`);
    if (job.status !== 'running') throw new Error(`job ${id} is ${job.status}, not running`);
    const registered = this.handlers.get(job.kind);
    if (!registered) throw new Error(`unknown job kind "${job.kind}"`);
    return registered.handler({ job, progress });
  }

  /** Per lane, runs its queued jobs one after another on this process until none is claimable. */
  poke(): void {
    for (const lane of JOB_LANES) {
      if (this.stopped) continue;
      if (![...this.handlers.values()].some((h) => h.lane === lane)) continue;
      if (this.busy.has(lane)) {
        // The lane's runner may already have found nothing and be on its way out: it drains once more.
        this.pokedWhileBusy.add(lane);
        continue;
      }
      const run = this.outsideRequests(async () => {
        try {
          do {
            this.pokedWhileBusy.delete(lane);
            while (!this.stopped && (await this.runNext(undefined, undefined, lane))) {
              /* keep draining */
            }
            // No await between this check and the `finally` below, so a poke cannot fall between them.
          } while (!this.stopped && this.pokedWhileBusy.has(lane));
        } catch (e) {
          this.logger.error(`job runner (${lane}): ${(e as Error).message}`);
        } finally {
          this.busy.delete(lane);
        }
      });
      this.busy.set(lane, run);
    }
  }

  /** Claims and runs one job (a given one, or the oldest claimable of a lane or of any); null when there was none. */
  async runNext(
    onlyId?: string,
    onProgress?: (done: number, total: number) => void,
    lane?: JobLane,
  ): Promise<Job | null> {
    const kinds = [...this.handlers.entries()]
      .filter(([, h]) => lane === undefined || h.lane === lane)
      .map(([kind]) => kind);
    const runner = this.db.createQueryRunner();
    await runner.connect();
    let claimed: { id: string; kind: string } | undefined;
    let lockKey: JobKindLockKey | undefined;
    try {
      await runner.startTransaction();
      const candidates = (await runner.query(
        `SELECT id, kind FROM jobs WHERE status = 'queued' AND kind = ANY($1) ${onlyId ? 'AND id = $2' : ''}
         ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 5`,
        onlyId ? [kinds, onlyId] : [kinds],
      )) as Array<{ id: string; kind: string }>;
      for (const c of candidates) {
        const key = jobKindLock(c.kind);
        // Held on the claiming session for the whole run, so it is taken here rather than through tryLock.
        if (await acquireIfFree(runner, key)) {
          claimed = c;
          lockKey = key;
          break;
        }
      }
      if (!claimed) {
        await runner.rollbackTransaction();
        return null;
      }
      await runner.query(`UPDATE jobs SET status = 'running', started_at = now() WHERE id = $1`, [
        claimed.id,
      ]);
      await runner.commitTransaction();

      const job = (await this.jobs.find(claimed.id))!;
      const started = Date.now();
      this.logger.log(`job ${job.id} (${job.kind}) started`);
      let last = 0;
      let pending: Promise<void> = Promise.resolve();
      const progress = (done: number, total: number) => {
        onProgress?.(done, total);
        const now = Date.now();
        // Progress writes are throttled: a tight loop must not turn into a write per item.
        if (now - last < 500 && done < total) return;
        last = now;
        pending = pending.then(() => this.jobs.progress(job.id, done, total)).catch(() => undefined);
      };
      try {
        const { handler } = this.handlers.get(job.kind)!;
        const result = await handler({ job, progress });
        await pending;
        await this.jobs.finish(job.id, 'succeeded', result, null);
        this.logger.log(`job ${job.id} (${job.kind}) succeeded in ${(Date.now() - started) / 1000} s`);
        this.metrics.jobDuration.observe(
          { kind: job.kind, status: 'succeeded' },
          (Date.now() - started) / 1000,
        );
      } catch (e) {
        await pending;
        const message = e instanceof Error ? e.message : String(e);
        this.logger.error(`job ${job.id} (${job.kind}) failed: ${message}`);
        await this.jobs.finish(job.id, 'failed', null, message);
        this.metrics.jobDuration.observe({ kind: job.kind, status: 'failed' }, (Date.now() - started) / 1000);
      }
      return this.jobs.find(job.id);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      if (lockKey !== undefined) await release(runner, lockKey);
      await runner.release();
    }
  }
}
