import { Injectable } from '@nestjs/common';
import { DEFAULT_BLEND, type BlendWeights } from '../ranking/blend';
import { DEFAULT_SIMILAR_BLEND, type SimilarBlend } from '../ranking/similar-ranking';
import { DEFAULT_SESSION_BLEND, type SessionBlend } from '../ranking/session-ranking';
import type { VectorProjection } from '../vector-index/projection';

/** What serves: the active model version, the projection of its item and query vectors, and its blends. */
export interface ServedModel {
  /** null before any fine-tune was activated (raw text vectors, default blends). */
  version: string | null;
  projection: VectorProjection | undefined;
  /** The blend of lists that may repeat purchases. */
  blend: BlendWeights;
  /** The blend of discovery lists (excludePurchased), tuned on baskets without the user's own items. */
  discoveryBlend: BlendWeights;
  /** The blend of similar lists (GET /v1/items/:id/similar), tuned on items bought together. */
  similarBlend: SimilarBlend;
  /** The blend of session and cart lists (POST /v1/recommendations with itemIds). */
  sessionBlend: SessionBlend;
}

const RAW: ServedModel = Object.freeze({
  version: null,
  projection: undefined,
  blend: DEFAULT_BLEND,
  discoveryBlend: DEFAULT_BLEND,
  similarBlend: DEFAULT_SIMILAR_BLEND,
  sessionBlend: DEFAULT_SESSION_BLEND,
});

/**
 * The one owner of the serving model: training publishes to it, the recommendations and the index read it.
 * A publication replaces the whole record at once, so a reader never sees one version's blend with
 * another's projection. Beside the active model it holds versions served by name (an experiment's variant,
 * a placement pinned to a version): those keep their own weights and blends whatever is activated later.
 */
@Injectable()
export class ServingModel {
  private served: ServedModel = RAW;
  private readonly pinned = new Map<string, ServedModel>();

  current(): ServedModel {
    return this.served;
  }

  publish(model: ServedModel): void {
    this.served = Object.freeze({ ...model });
  }

  /** Holds a version by name beside the active one (replacing an earlier hold of the same version). */
  hold(model: ServedModel & { version: string }): void {
    this.pinned.set(model.version, Object.freeze({ ...model }));
  }

  held(version: string): ServedModel | undefined {
    return this.pinned.get(version);
  }

  release(version: string): void {
    this.pinned.delete(version);
  }
}
