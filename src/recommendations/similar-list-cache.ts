import type { SimilarList } from '../ranking/similar-ranking';

/**
 * Ranked similar lists per item, unfiltered, for the inputs they were ranked with (the served index, the
 * co-purchase generation, the similar blend): a change of any drops them all. At most `capacity` items are
 * held, the least recently used leaving first. Requests filter a held list (stock, price, deletions,
 * exclusions) when they read it, so a held list never serves an item that stopped passing.
 */
export class SimilarListCache {
  private inputs: readonly unknown[] | undefined;
  private readonly lists = new Map<string, SimilarList>();

  constructor(readonly capacity: number) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  get size(): number {
    return this.lists.size;
  }

  /** Drops every list when `inputs` differ (by identity) from those of the held lists. */
  sync(inputs: readonly unknown[]): void {
    const held = this.inputs;
    if (held && held.length === inputs.length && held.every((x, i) => x === inputs[i])) return;
    this.lists.clear();
    this.inputs = [...inputs];
  }

  has(itemId: string): boolean {
    return this.lists.has(itemId);
  }

  get(itemId: string): SimilarList | undefined {
    const list = this.lists.get(itemId);
    if (list) {
      // Map order is insertion order: re-inserting marks the list as used most recently.
      this.lists.delete(itemId);
      this.lists.set(itemId, list);
    }
    return list;
  }

  set(itemId: string, list: SimilarList): void {
    if (!this.enabled) return;
    this.lists.delete(itemId);
    this.lists.set(itemId, list);
    if (this.lists.size > this.capacity) this.lists.delete(this.lists.keys().next().value!);
  }
}
