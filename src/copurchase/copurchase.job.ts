import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { Subject, type Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { CatalogChanges } from '../catalog/catalog-changes';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DEFAULT_KNN_NEIGHBORS, type BuyerWeighting } from '../ranking/item-knn';
import { MAX_TRANSITION_PAIRS_PER_SEQUENCE } from '../ranking/transitions';
import { UserChanges } from '../events/user-changes';
import type { Job } from '../jobs/jobs.repository';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { JobProcesses } from '../jobs/job-process';
import { JobsService, type JobContext } from '../jobs/jobs.service';
import { CopurchaseRepository, type CopurchaseBuild } from './copurchase.repository';
import { ItemKnnBuilder } from './item-knn.builder';

export const COPURCHASE = 'copurchase';

/**
 * How long a rebuild triggered at `now` still waits so that the job, which last ran from `startedAt` to
 * `finishedAt`, is busy at most `share` of the time (COPURCHASE_MAX_BUSY_SHARE); 0 when it may run now. On a big
 * clickstream learned from (LEARN_FROM) a build takes minutes, and views arrive all the time.
 */
export function rebuildWaitMs(
  last: { startedAt: Date; finishedAt: Date } | undefined,
  now: number,
  share: number,
): number {
  if (!last) return 0;
  const took = Math.max(0, last.finishedAt.getTime() - last.startedAt.getTime());
  return Math.max(0, last.finishedAt.getTime() + (took * (1 - share)) / share - now);
}

export interface CopurchaseResult extends Record<string, unknown> {
  asOf: string;
  generation: string;
  items: number;
  neighbours: number;
  users: number;
  pairs: number;
  /** The event types read as purchases (LEARN_FROM resolved against the log). */
  learnedFrom: string[];
  /** COPURCHASE_BUYER_DAMPING and COPURCHASE_MAX_BUYER_ITEMS the neighbours were built with. */
  buyers: BuyerWeighting;
  /** Buyers of more items than `buyers.maxItems`, left out of the neighbours (crawlers, test accounts). */
  buyersLeftOut: number;
  /** Accounts left out of the transitions: over MAX_TRANSITION_PAIRS_PER_SEQUENCE pairs between their orders. */
  transitionSequencesLeftOut: number;
  readMs: number;
  buildMs: number;
  writeMs: number;
  /** The process that computed it (a server's child process by default, see COPURCHASE_PROCESS). */
  pid: number;
}

/**
 * The co-purchase job — item-to-item neighbours from purchase events as of a time (default now), written to
 * item_neighbours in one transaction — and its triggers: purchases and item deletions (debounced, one queued
 * at a time), an optional schedule, a missing computation at start-up, the CLI.
 */
@Injectable()
export class CopurchaseJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Copurchase');
  private readonly builtSubject = new Subject<CopurchaseBuild>();
  /** A computation this process just wrote (servers also poll for ones written elsewhere). */
  readonly built$ = this.builtSubject.asObservable();
  private timer: NodeJS.Timeout | undefined;
  private readonly subs: Subscription[] = [];
  private cron: CronJob | undefined;

  constructor(
    private readonly jobs: JobsService,
    private readonly store: CopurchaseRepository,
    private readonly builder: ItemKnnBuilder,
    private readonly users: UserChanges,
    private readonly catalog: CatalogChanges,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
    private readonly processes: JobProcesses,
  ) {
    // A server runs the job in a child process by default: the build reads every purchase of the shop, a few
    // hundred MB for a moment, and a server rebuilds about once a minute while purchases stream in. In the
    // server's own process (its worker thread is part of it) every rebuild was a jump of the server's memory;
    // a child returns it to the system when it exits. Commands, and the child itself, run it here.
    const inChild = polling && config.copurchaseProcess === 'child';
    jobs.register(
      COPURCHASE,
      async (ctx) =>
        (await this.coveredAlready(ctx.job)) ?? (inChild ? this.inChildProcess(ctx) : this.here(ctx)),
    );
  }

  /**
   * A queued rebuild "as of now" that the stored computation already answers: its writer (a co-purchase job, or
   * the fine-tune's first step) started reading after this job was queued, so it saw every purchase and deletion
   * that queued it, and no event is stamped at or after its `asOf`, so it left none out. `aisle import` queues a
   * rebuild and `aisle finetune` then rebuilds first thing: without this the next server to start ran the same
   * computation again (a minute of a core and a child process's memory on three times Online Retail).
   */
  private async coveredAlready(job: Job): Promise<Record<string, unknown> | undefined> {
    if (typeof job.params.asOf === 'string') return undefined;
    const build = await this.store.current();
    if (!build?.jobId || build.jobId === job.id) return undefined;
    const writer = await this.jobs.get(build.jobId);
    if (!writer?.startedAt || Date.parse(writer.startedAt) <= Date.parse(job.createdAt)) return undefined;
    const later: unknown[] = await this.db.query(`SELECT 1 FROM events WHERE occurred_at >= $1 LIMIT 1`, [
      build.asOf.toISOString(),
    ]);
    if (later.length > 0) return undefined;
    this.logger.log(
      `co-purchase rebuild ${job.id} skipped: job ${build.jobId} computed it after it was queued`,
    );
    return {
      skipped: true,
      coveredBy: build.jobId,
      asOf: build.asOf.toISOString(),
      generation: build.generation,
    };
  }

  private here({ job, progress }: JobContext): Promise<CopurchaseResult> {
    return this.compute(
      typeof job.params.asOf === 'string' ? new Date(job.params.asOf) : new Date(),
      job.id,
      progress,
    );
  }

  /**
   * The child computes and stores the neighbours; this server then announces the stored computation as its
   * own would be, so its lists use it before the job is reported done (other servers follow the change feed).
   */
  private async inChildProcess(ctx: JobContext): Promise<Record<string, unknown>> {
    const result = await this.processes.run(ctx.job, ctx.progress);
    const build = await this.store.current();
    if (build) this.builtSubject.next(build);
    return result;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.polling) return;
    if (this.config.copurchaseDebounceMs > 0) {
      this.subs.push(
        this.users.purchases$.subscribe(() => this.schedule()),
        // A deleted item leaves the matrix: its list goes, and it leaves other lists to their next neighbour.
        this.catalog.changes$.subscribe((c) => {
          if (c.kind === 'deleted' && !c.remote) this.schedule();
        }),
      );
    }
    if (this.config.copurchaseCron) {
      // The schedule only enqueues; whichever replica claims the job does the work.
      this.cron = CronJob.from({
        cronTime: this.config.copurchaseCron,
        onTick: () => void this.enqueueIfIdle(),
        start: true,
      });
      this.logger.log(`co-purchase rebuild scheduled: ${this.config.copurchaseCron}`);
    }
    if (!(await this.store.current())) {
      this.logger.warn(
        'no co-purchase neighbours computed yet: queueing the job (served without them until then)',
      );
      await this.enqueueIfIdle();
    }
  }

  onModuleDestroy(): void {
    for (const sub of this.subs) sub.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    void this.cron?.stop();
  }

  enqueue(asOf?: Date): Promise<Job> {
    return this.jobs.enqueue(COPURCHASE, asOf ? { asOf: asOf.toISOString() } : {});
  }

  /** Queues a rebuild as of "now" unless one is already waiting (a running one may predate the change). */
  async enqueueIfIdle(): Promise<Job | undefined> {
    try {
      return (await this.jobs.hasQueued(COPURCHASE)) ? undefined : await this.enqueue();
    } catch (e) {
      this.logger.error(`could not queue a co-purchase rebuild: ${(e as Error).message}`);
      return undefined;
    }
  }

  /**
   * Queues the job as of `asOf` and runs it in this process, through the job queue (lock, progress, record),
   * for callers that need the result before going on (the offline evaluation).
   */
  async runHere(asOf: Date, onProgress?: (done: number, total: number) => void): Promise<CopurchaseResult> {
    const job = await this.enqueue(asOf);
    let done = await this.jobs.runNext(job.id, onProgress);
    // A polling runner (this server, another replica) may have claimed it first: then wait for that run.
    while (!done || done.status === 'queued' || done.status === 'running') {
      await new Promise((r) => setTimeout(r, 100));
      done = await this.jobs.get(job.id);
    }
    if (done.status !== 'succeeded') throw new Error(done.error ?? 'the co-purchase job failed');
    return done.result as CopurchaseResult;
  }

  /** Computes the neighbours from purchases before `asOf` and replaces the table with them. */
  async compute(
    asOf: Date,
    jobId: string | null,
    progress: (done: number, total: number) => void = () => undefined,
  ): Promise<CopurchaseResult> {
    progress(0, 1);
    const built = await this.builder.build({
      // The worker opens its own connection to the same database (the DataSource is always built from a URL).
      databaseUrl: (this.db.options as { url: string }).url,
      asOf: asOf.toISOString(),
      neighbourCount: DEFAULT_KNN_NEIGHBORS,
      buyers: this.config.copurchaseBuyers,
      learnFrom: this.config.learnFrom,
      learnFromMinShare: this.config.learnFromMinShare,
    });
    const writeStarted = Date.now();
    const build = await this.store.replace(built, { asOf, jobId, transitions: built.transitions }, progress);
    const result: CopurchaseResult = {
      asOf: asOf.toISOString(),
      generation: build.generation,
      items: build.items,
      neighbours: build.neighbours,
      users: built.users,
      pairs: built.pairs,
      learnedFrom: built.learnedFrom,
      buyers: this.config.copurchaseBuyers,
      buyersLeftOut: built.buyersLeftOut,
      transitionSequencesLeftOut: built.transitionSequencesLeftOut,
      readMs: built.readMs,
      buildMs: built.buildMs,
      writeMs: Date.now() - writeStarted,
      pid: process.pid,
    };
    this.logger.log(
      `co-purchase neighbours: ${result.items} items, ${result.neighbours} rows from ${result.pairs} user-item pairs ` +
        `of ${result.learnedFrom.join(', ')} events, buyer damping ${result.buyers.damping}` +
        (result.buyersLeftOut > 0
          ? `, ${result.buyersLeftOut} buyers of more than ${result.buyers.maxItems} items left out `
          : ' ') +
        (result.transitionSequencesLeftOut > 0
          ? `, ${result.transitionSequencesLeftOut} sequences of more than ${MAX_TRANSITION_PAIRS_PER_SEQUENCE} ` +
            'transition pairs left out '
          : '') +
        `(read ${result.readMs} ms, build ${result.buildMs} ms, write ${result.writeMs} ms)`,
    );
    this.builtSubject.next(build);
    return result;
  }

  /**
   * Purchases arrive in bursts (a checkout, a feed import): the first one opens a window, the rest of it rides
   * along, then one rebuild is queued. The window is not extended by later purchases, or a steady stream of
   * them would postpone the rebuild forever.
   */
  private schedule(delayMs = this.config.copurchaseDebounceMs): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueueWhenDue();
    }, delayMs);
    this.timer.unref();
  }

  /** Queues a triggered rebuild, or waits until the last one is far enough behind (rebuildWaitMs). */
  private async enqueueWhenDue(): Promise<void> {
    let wait = 0;
    try {
      wait = rebuildWaitMs(
        await this.jobs.lastSucceeded(COPURCHASE),
        Date.now(),
        this.config.copurchaseMaxBusyShare,
      );
    } catch (e) {
      this.logger.warn(`could not read the last co-purchase run: ${(e as Error).message}`);
    }
    if (wait > 0) this.schedule(wait);
    else await this.enqueueIfIdle();
  }
}
