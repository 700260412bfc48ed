import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/problem';
import { ServingModel, type ServedModel } from '../serving-model/serving-model';
import { servedModelOf } from './model-activation.service';
import { ModelVersionsRepository } from './model-versions.repository';
import { ProjectionModel } from './model/projection-model';

/** A version served by name, with the encoder its projection expects as input. */
export interface PinnedModel {
  served: ServedModel & { version: string };
  encoderId: string;
}

/**
 * Versions served by name beside the active one. Loading one reads its weights and blends once and holds
 * them in the serving model, so the nightly fine-tune activating a newer version changes nothing for it;
 * `pinned_model_versions` keeps the pruning from deleting those weights while something serves them.
 */
@Injectable()
export class PinnedModels {
  private readonly loaded = new Map<string, Promise<PinnedModel>>();

  constructor(
    private readonly versions: ModelVersionsRepository,
    private readonly serving: ServingModel,
  ) {}

  /** The version as it serves (read once per process); a 404 problem when unknown, 409 without weights. */
  load(version: string): Promise<PinnedModel> {
    let pending = this.loaded.get(version);
    if (!pending) {
      pending = this.read(version);
      this.loaded.set(version, pending);
      // A failure is not remembered: the version may be trained or restored later.
      pending.catch(() => this.loaded.delete(version));
    }
    return pending;
  }

  release(version: string): void {
    this.loaded.delete(version);
    this.serving.release(version);
  }

  private async read(version: string): Promise<PinnedModel> {
    const row = await this.versions.find(version);
    if (!row) throw new ProblemException(404, `Model version "${version}" not found`);
    if (!row.weights)
      throw new ProblemException(409, `Model version "${version}" has no weights (rejected or pruned)`);
    const served = servedModelOf(version, ProjectionModel.fromBuffer(row.weights), row.params);
    this.serving.hold(served);
    return { served, encoderId: row.encoderId };
  }
}
