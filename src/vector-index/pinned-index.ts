import type { VectorProjection } from './projection';
import type { SearchHit, VectorIndex } from './vector-index.port';

/**
 * The catalog projected by a model version served by name (an experiment's variant, a placement pinned to a
 * version), held in memory beside the served index. It offers the served index's reading surface, so the
 * same recommendation code ranks with either; it is never published to disk, and is rebuilt from the stored
 * vectors when a process needs it.
 */
export class PinnedIndex {
  constructor(
    private readonly index: VectorIndex,
    private readonly projection: VectorProjection,
    private readonly vectors: ReadonlyMap<string, Float32Array>,
  ) {}

  current(): VectorIndex {
    return this.index;
  }

  currentProjection(): VectorProjection {
    return this.projection;
  }

  vectorOf(id: string): Float32Array | undefined {
    return this.index.has(id) ? this.vectors.get(id) : undefined;
  }

  /** vectorOf itself: this index's vectors are in a map already (the served index's reading surface). */
  vectorLookup(): (id: string) => Float32Array | undefined {
    return (id) => this.vectorOf(id);
  }

  search(vector: Float32Array, k: number, filter: (id: string) => boolean, ef?: number): SearchHit[] {
    if (this.index.size === 0) return [];
    return this.index.search(vector, { k: Math.min(k, this.index.size), filter, ef });
  }

  dispose(): void {
    this.index.dispose();
  }
}
