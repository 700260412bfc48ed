import type { ItemMeta } from '../catalog/catalog-snapshot';
import { PurchaseSignals } from '../ranking/purchase-signals';
import type { SessionRowSources } from '../ranking/session-ranking';
import { itemRules, type ItemRuleOptions } from '../recommendations/filters';

/**
 * The catalog rule fields and the item vectors of every item with a purchase-signals row, by that row: a session
 * list asks the filter and the vector lookup about a few hundred candidates, nearly all with a row, and two
 * string-keyed map lookups each were a tenth of the session thread's time. Kept in step with the maps they are
 * read from: every table again when the signals (their rows) or the vectors change, one entry per changed item.
 */
export class RowTables {
  private signals = PurchaseSignals.empty();
  private meta: Array<ItemMeta | undefined> = [];
  private vectors: Array<Float32Array | undefined> = [];
  /** A row is excluded from the current request while its stamp is the request's. */
  private excludedStamp = new Int32Array(0);
  private request = 0;

  /** New signals: both tables again, over their rows. */
  setSignals(
    signals: PurchaseSignals,
    metaOf: (id: string) => ItemMeta | undefined,
    vectorOf: (id: string) => Float32Array | undefined,
  ): void {
    this.signals = signals;
    this.resetMeta(metaOf);
    this.setVectors(vectorOf);
    this.excludedStamp = new Int32Array(signals.idsByRow.length);
    this.request = 0;
  }

  /** Every item's fields again (the catalog was re-read). */
  resetMeta(metaOf: (id: string) => ItemMeta | undefined): void {
    this.meta = this.signals.idsByRow.map((id) => metaOf(id));
  }

  /** One item's fields changed; undefined: it left the catalog. */
  setMeta(id: string, meta: ItemMeta | undefined): void {
    const row = this.signals.rowOf(id);
    if (row >= 0) this.meta[row] = meta;
  }

  /** The vectors of another index. */
  setVectors(vectorOf: (id: string) => Float32Array | undefined): void {
    this.vectors = this.signals.idsByRow.map((id) => vectorOf(id));
  }

  /**
   * The row sources of one request (SessionSources.byRow) under its rules and excluded ids, answering as
   * itemFilter and the vector map do by id. Valid until the next call: the thread gathers one list at a time.
   */
  forRequest(rules: ItemRuleOptions, excluded: readonly string[]): SessionRowSources {
    this.request += 1;
    if (this.request === 0x7fffffff) {
      this.excludedStamp.fill(0);
      this.request = 1;
    }
    const request = this.request;
    const stamp = this.excludedStamp;
    for (const id of excluded) {
      const row = this.signals.rowOf(id);
      if (row >= 0) stamp[row] = request;
    }
    const ok = itemRules(rules);
    const meta = this.meta;
    const vectors = this.vectors;
    return {
      pass: (row) => stamp[row] !== request && ok(meta[row]),
      vectorAt: (row) => vectors[row],
    };
  }

  /** Whether these tables are over `signals`' rows. */
  isOver(signals: PurchaseSignals): boolean {
    return signals === this.signals;
  }
}
