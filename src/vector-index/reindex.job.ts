import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { CatalogChanges } from '../catalog/catalog-changes';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { JobProcesses } from '../jobs/job-process';
import { JobsService, type JobContext } from '../jobs/jobs.service';
import type { Job } from '../jobs/jobs.repository';
import { IndexService } from './index.service';
import { IndexSupersededError } from './vector-index.errors';

export const REINDEX = 'reindex';

/**
 * The reindex job (embed new/changed items — all of them with `full` — then build a new index and swap it in)
 * and its triggers: admin endpoint, CLI, a debounced catalog-change trigger, and a missing index at start-up.
 */
@Injectable()
export class ReindexJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reindex');
  private timer: NodeJS.Timeout | undefined;
  private sub: Subscription | undefined;

  constructor(
    private readonly jobs: JobsService,
    private readonly embeddings: EmbeddingsService,
    private readonly index: IndexService,
    private readonly changes: CatalogChanges,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
    private readonly processes: JobProcesses,
  ) {
    // A server runs the job in a child process by default: a rebuild reads every item's vector from
    // PostgreSQL and builds a second graph beside the served one, and in the server's own process that
    // memory stayed with it after the swap (its RSS rose some 10 % with each reindex under load); a child
    // returns it to the system when it exits. Commands, and the child itself, run it here.
    const inChild = polling && config.reindexProcess === 'child';
    jobs.register(REINDEX, (ctx) => (inChild ? this.inChildProcess(ctx) : this.here(ctx)));
  }

  private async here({ job, progress }: JobContext): Promise<Record<string, unknown>> {
    const full = job.params.full === true;
    // Two phases reported as one bar: embedding (most of the time) then the graph build.
    let embedTotal = 0;
    const { covered, ...embed } = await this.embeddings.embedCatalog({ full }, (d, t) => {
      embedTotal = t;
      progress(d, t + 1);
    });
    // Built from PostgreSQL, and refused unless it holds every item the embedding step covered that is
    // still live with the same text (newer items and texts are the next incremental reindex's work).
    const built = await this.index.rebuild(undefined, undefined, covered).catch(async (e: unknown) => {
      if (!(e instanceof IndexSupersededError)) throw e;
      // The activation published an index of the new model, read from the vectors stored when it built: one more
      // rebuild, under the new model, takes in what this job embedded after that.
      this.logger.warn(`${e.message}; queueing a reindex under ${e.active}`);
      await this.enqueue(false);
      return e;
    });
    progress(embedTotal + 1, embedTotal + 1);
    // `pid`: the process that built it (a server's child process by default, see REINDEX_PROCESS).
    return built instanceof IndexSupersededError
      ? { full, ...embed, superseded: { built: built.built, active: built.active }, pid: process.pid }
      : { full, ...embed, index: built, pid: process.pid };
  }

  /**
   * The child embeds, builds, checks and publishes the index; this server then loads what it published
   * before the job is reported done, so a caller that sees `succeeded` finds this server serving it (other
   * servers adopt it from the change feed, as any published index).
   */
  private async inChildProcess(ctx: JobContext): Promise<Record<string, unknown>> {
    const result = await this.processes.run(ctx.job, ctx.progress);
    await this.index.syncFromDisk();
    return result;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.polling) return;
    if (this.config.reindexDebounceMs > 0) {
      this.sub = this.changes.changes$.subscribe((c) => {
        if (c.kind === 'upserted' && !c.remote) this.schedule();
      });
    }
    if (this.index.needsBuild()) {
      this.logger.warn('the catalog has items but no index is loaded: queueing a reindex');
      await this.enqueue(false);
    }
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  enqueue(full: boolean): Promise<Job> {
    return this.jobs.enqueue(REINDEX, { full });
  }

  /** Catalog writes come in bursts (a feed import sends many batches): collect them, then queue one job. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.jobs
        .hasQueued(REINDEX)
        .then((busy) => (busy ? undefined : this.enqueue(false)))
        .catch((e: unknown) => this.logger.error(`could not queue a reindex: ${(e as Error).message}`));
    }, this.config.reindexDebounceMs);
    this.timer.unref();
  }
}
