/**
 * Item ids numbered 0, 1, 2, … in the order first seen. The ranking keeps per-item values in typed arrays
 * indexed by these numbers, so a request resolves an id once (one map lookup) and reads every value by index.
 */
export class DenseIds {
  private readonly numbers = new Map<string, number>();
  /** The ids by number. */
  readonly ids: string[] = [];

  /** `ids` numbered in their order (each must appear once). */
  static of(ids: readonly string[]): DenseIds {
    const d = new DenseIds();
    for (const id of ids) d.intern(id);
    if (d.size !== ids.length) throw new Error('DenseIds.of: an id appears twice');
    return d;
  }

  /** The number of `id`, giving it the next free one when it has none. */
  intern(id: string): number {
    let n = this.numbers.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.numbers.set(id, n);
      this.ids.push(id);
    }
    return n;
  }

  /** The number of `id`, −1 when it has none. */
  numberOf(id: string): number {
    const n = this.numbers.get(id);
    return n === undefined ? -1 : n;
  }

  get size(): number {
    return this.ids.length;
  }
}
