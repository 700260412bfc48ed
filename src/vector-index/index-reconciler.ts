import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobsService } from '../jobs/jobs.service';
import { ServingModel } from '../serving-model/serving-model';
import { IndexService } from './index.service';
import { acquireIfFree, release } from '../database/advisory-lock';
import { AdvisoryLock } from '../database/locks';
import { rawProjection } from './projection';
import { REINDEX } from './reindex.job';

/** What the reconciler uses of each collaborator: narrow ports, so a spec can fake them by hand. */
export type ReconcilerDatabase = Pick<DataSource, 'createQueryRunner'>;
export type ReconcilerIndex = Pick<IndexService, 'current'>;
export type ReconcilerServingModel = Pick<ServingModel, 'current'>;
export type ReconcilerJobs = Pick<JobsService, 'enqueue'>;

/**
 * Queues a rebuild when the served index was built for another model than the active one: a process that
 * died between publishing an activation's index and marking the version active leaves exactly that, and
 * queries projected with one model against item vectors of another rank nonsense.
 */
@Injectable()
export class IndexReconciler {
  private readonly logger = new Logger('Training');
  private reconcileQueuedFor: string | undefined;

  constructor(
    @InjectDataSource() private readonly db: ReconcilerDatabase,
    @Inject(IndexService) private readonly index: ReconcilerIndex,
    @Inject(ServingModel) private readonly servingModel: ReconcilerServingModel,
    @Inject(JobsService) private readonly jobs: ReconcilerJobs,
  ) {}

  async reconcileIndex(): Promise<void> {
    const served = this.index.current()?.info.modelVersion;
    const wanted = this.servingModel.current().version ?? rawProjection(1).version;
    if (served === undefined || served === wanted) {
      this.reconcileQueuedFor = undefined;
      return;
    }
    if (this.reconcileQueuedFor === served) return;
    // A live activation holds the lock between its publish and its mark: that is not a mismatch (yet).
    const runner = this.db.createQueryRunner();
    await runner.connect();
    let active: string;
    try {
      if (!(await acquireIfFree(runner, AdvisoryLock.IndexActivation))) return;
      try {
        // Nor is an activation another process (a fine-tune's child, `aisle finetune`) finished a moment ago,
        // after this process read the active version: with the lock free the stored version is settled, and
        // when the index is built for it this process only has to adopt it (its sync does), not rebuild it.
        const rows = (await runner.query(
          `SELECT version FROM model_versions WHERE status = 'active' LIMIT 1`,
        )) as Array<{ version: string }>;
        active = rows[0]?.version ?? rawProjection(1).version;
        if (active === served) return;
      } finally {
        await release(runner, AdvisoryLock.IndexActivation);
      }
    } finally {
      await runner.release();
    }
    this.logger.warn(
      `the served index was built for model ${served} but ${active} is active: queueing a rebuild for ${active}`,
    );
    this.reconcileQueuedFor = served;
    await this.jobs.enqueue(REINDEX, { full: false });
  }
}
