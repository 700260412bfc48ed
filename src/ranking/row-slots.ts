/**
 * Which candidate slot each model row holds during one synchronous gathering of candidates, in scratch arrays
 * reused across lists: a list adds a few hundred candidates and asks about more, and a Map by id per list was
 * a fair share of what a list allocated. A row's entry is live while its stamp is the current gathering's,
 * so nothing is cleared between lists. Items without a model row are the caller's to track.
 */
export class RowSlots {
  private stamp = new Int32Array(0);
  private slots = new Int32Array(0);
  private call = 0;

  /** Starts a gathering over `rows` model rows: every row reads as holding no slot. */
  begin(rows: number): this {
    if (this.stamp.length < rows) {
      const size = Math.max(rows, this.stamp.length * 2);
      this.stamp = new Int32Array(size);
      this.slots = new Int32Array(size);
    }
    this.call += 1;
    if (this.call === 0x7fffffff) {
      this.stamp.fill(0);
      this.call = 1;
    }
    return this;
  }

  /** The slot of row `row` in the current gathering, −1 when it holds none. */
  get(row: number): number {
    return this.stamp[row] === this.call ? this.slots[row] : -1;
  }

  set(row: number, slot: number): void {
    this.stamp[row] = this.call;
    this.slots[row] = slot;
  }
}
