import { Injectable, type OnModuleInit } from '@nestjs/common';
import { JobsService } from '../jobs/jobs.service';
import { FinetuneService } from './finetune.service';
import { ModelActivationService } from './model-activation.service';

export const FINETUNE = 'finetune';
export const ACTIVATE = 'activate';

/** Adapts the queued fine-tune and activation jobs to the services that do the work. */
@Injectable()
export class FinetuneJob implements OnModuleInit {
  constructor(
    private readonly jobs: JobsService,
    private readonly finetune: FinetuneService,
    private readonly activation: ModelActivationService,
  ) {}

  onModuleInit(): void {
    this.jobs.register(
      FINETUNE,
      ({ job, progress }) =>
        this.finetune.nightly({
          now: typeof job.params.now === 'string' ? new Date(job.params.now) : undefined,
          copurchase: job.params.copurchase !== false,
          progress,
        }),
      'training',
    );
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
}
