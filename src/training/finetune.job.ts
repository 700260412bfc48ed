import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JobProcesses } from '../jobs/job-process';
import { JobsService, type JobContext } from '../jobs/jobs.service';
import { FinetuneService } from './finetune.service';
import { ModelActivationService } from './model-activation.service';

export const FINETUNE = 'finetune';
export const ACTIVATE = 'activate';

/** Adapts the queued fine-tune and activation jobs to the services that do the work. */
@Injectable()
export class FinetuneJob implements OnModuleInit {
  private readonly logger = new Logger('Training');

  constructor(
    private readonly jobs: JobsService,
    private readonly finetune: FinetuneService,
    private readonly activation: ModelActivationService,
    private readonly processes: JobProcesses,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly server: boolean,
  ) {}

  onModuleInit(): void {
    // A server keeps serving while the fine-tune runs: in a child process by default, so the job's memory
    // (every interaction, the training threads) leaves with it. Commands, and the child itself, run it here.
    const inChild = this.server && this.config.finetune.process === 'child';
    this.jobs.register(FINETUNE, (ctx) => (inChild ? this.inChildProcess(ctx) : this.here(ctx)), 'training');
    this.jobs.register(
      ACTIVATE,
      async ({ job, progress }) => {
        const version = String(job.params.version);
        await this.activation.activate(version, progress);
        return { version };
      },
      'training',
    );
  }

  private here({ job, progress }: JobContext): Promise<Record<string, unknown>> {
    return this.finetune.nightly({
      now: typeof job.params.now === 'string' ? new Date(job.params.now) : undefined,
      copurchase: job.params.copurchase !== false,
      jobId: job.id,
      progress,
    });
  }

  /**
   * The child does all of the job's work, activation included (index rebuilt and published, version marked);
   * this server then adopts what it left in PostgreSQL and DATA_DIR exactly as it adopts an activation by
   * `aisle finetune` — nothing of the activation is done twice. It adopts before the job is reported done, so
   * a caller that sees `succeeded` finds this server serving the new version; after a failure too, in case the
   * child died between publishing an index and marking its version (the reconciler then queues the rebuild).
   */
  private async inChildProcess(ctx: JobContext): Promise<Record<string, unknown>> {
    try {
      return await this.processes.run(ctx.job, ctx.progress);
    } finally {
      if (!this.processes.shuttingDown)
        await this.activation
          .syncSerially()
          .catch((e: unknown) =>
            this.logger.error(`adopting the fine-tune's outcome failed: ${(e as Error).message}`),
          );
    }
  }
}
