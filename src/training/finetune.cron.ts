import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { CronJob } from 'cron';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { JobsService } from '../jobs/jobs.service';
import { FINETUNE } from './finetune.job';

/** FINETUNE_CRON: only enqueues; whichever replica claims the job does the work (one at a time, by lock). */
@Injectable()
export class FinetuneCron implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Training');
  private cron: CronJob | undefined;

  constructor(
    private readonly jobs: JobsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) private readonly polling: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.polling || !this.config.finetuneCron) return;
    this.cron = CronJob.from({
      cronTime: this.config.finetuneCron,
      onTick: () => {
        this.jobs
          .enqueue(FINETUNE, {})
          .catch((e: unknown) => this.logger.error(`could not queue the fine-tune: ${(e as Error).message}`));
      },
      start: true,
    });
    this.logger.log(`fine-tune scheduled: ${this.config.finetuneCron}`);
  }

  onModuleDestroy(): void {
    void this.cron?.stop();
  }
}
