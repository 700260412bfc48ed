import { Doorkeeper } from '../common/doorkeeper';
import { OldestFirst } from '../common/oldest-first';
import { DenseIds } from '../ranking/dense-ids';
import type { RuleFieldChange } from '../catalog/catalog-snapshot';
import { ownPacked, type ExaminedItems, type PackedSet } from '../session-thread/packed-set';
import type { RecommendationList } from './response';

/** Rough V8 cost of an entry besides its buffer and strings: the Map entry, the entry and PackedSet objects. */
const ENTRY_OVERHEAD = 160;

/** Rough V8 cost of a held answer: the list and its item objects (ids are the signals' own strings). */
const answerBytes = (list: RecommendationList) => 200 + 80 * list.items.length;

/**
 * A catalog change naming more items than this drops every held set rather than looking each item up in each
 * set (an import or a bulk stock sync changes much of what any set read).
 */
const MAX_IDS_LOOKED_UP = 64;

/**
 * Heap bytes a held set costs: its buffer (which holds the rows it read), its ids, the ids without a row it read
 * and its key (two bytes a character errs high).
 */
export function packedSetBytes(key: string, p: PackedSet): number {
  return ENTRY_OVERHEAD + p.byteLength + 2 * (p.ids.length + p.examinedIds.length + key.length);
}

const NO_NUMBERS = new Int32Array(0);

export interface SessionSetCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  /** Held sets dropped because an item they read changed in the catalog (the others stayed). */
  droppedByCatalog: number;
  /** Requests answered with a held answer (`answer`): no ranking at all. */
  answerHits: number;
  /**
   * Sets gathered and not held because their key was asked for the first time (`holdFrom` 2); their answers are
   * held on their own.
   */
  firstAsks: number;
}

/** An answer held with its set: the list one request shape got, under one blend, while the catalog stood still. */
interface HeldAnswer {
  shape: string;
  blend: unknown;
  /** The count of catalog changes when it was held: any change since voids it. */
  epoch: number;
  /**
   * The time it was ranked for (epoch ms): it answers only for that time or later (the caller judged it would not
   * change as time moves on, not back).
   */
  since: number;
  list: RecommendationList;
  bytes: number;
}

interface Entry {
  /** None for an answer held on its own (holdAnswer without a held set: a cart's first ask). */
  packed: PackedSet | undefined;
  bytes: number;
  /**
   * The catalog items the gathering read (its candidates and the ids the rules turned away): by their row in the
   * signals of `inputs`, ascending, and those without one as `numbers`, ascending.
   */
  rows: Int32Array;
  unsold: Int32Array;
  /** Whether its rules bound the price: only then does an item's new price change what gathering it reads. */
  priceRules: boolean;
  answer?: HeldAnswer;
}

/**
 * Gathered session candidate sets (packed), per session and filter. A held set is exactly what gathering would
 * return now: a change of the served index or of the purchase signals (`inputs`, compared by identity) drops
 * every set, and a catalog change drops the sets that read a changed item — as a candidate, or as one the
 * business rules turned away — since gathering reads the catalog only through those rules: an item it never
 * asked about did not shape the set. The ranking, the rules stage and the new-arrival places are still applied
 * per request. A shopper's cart is asked for on every page while it does not change: those repeats cost a lookup
 * instead of a gathering (co-purchase and transition sums, a vector search, a cosine per candidate), also while
 * the shop keeps updating stock and prices elsewhere in the catalog.
 *
 * A set can also hold the answer it gave one shape of request (`holdAnswer`), when no ranking input besides the
 * set, the blend and the shape could change it: the caller's to judge (a set whose candidates could become new
 * arrivals cannot). Any catalog change voids every held answer, whatever it changed (an answer also shows the
 * items' order, which their dates decide through the new-arrival rule).
 *
 * Bounded by estimated bytes (RECS_SESSION_CACHE_MAX_BYTES, 0: off), the least recently used set leaving first:
 * the key is client-chosen. With `holdFrom` 2 (RECS_SESSION_CACHE_HOLD_FROM) a set is held only when its key was
 * asked before (a Doorkeeper remembers keys asked once): a cart asked once leaves no set. Its answer is held on
 * its own all the same (a tenth of a set's bytes), so a cart asked again unchanged is answered without gathering.
 */
export class SessionSetCache {
  private inputs: readonly unknown[] | undefined;
  /** Least recently used first (Map order: a hit or a write re-inserts the entry last). */
  private readonly sets = new Map<string, Entry>();
  private readonly oldest = new OldestFirst(this.sets);
  /** The items without a signals row that held sets read, numbered; renumbered whenever every set is dropped. */
  private numbers = new DenseIds();
  /** Counts catalog changes: a set gathered across one is not held (see ticket). */
  private changes = 0;
  private totalBytes = 0;
  private hits = 0;
  private misses = 0;
  private droppedByCatalog = 0;
  private answerHits = 0;
  private firstAsks = 0;
  private readonly door: Doorkeeper | undefined;

  /**
   * `holdFrom`: the ask of a key from which its set is held, 1 or 2. The doorkeeper of 2 remembers about one key
   * per KB of `maxBytes` (at least 4,096) per generation.
   */
  constructor(
    readonly maxBytes: number,
    holdFrom: 1 | 2 = 1,
  ) {
    this.door =
      holdFrom === 2 && maxBytes > 0
        ? new Doorkeeper(Math.max(4096, Math.round(maxBytes / 1024)))
        : undefined;
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The set held for `key` under `inputs` (compared by identity); a change of inputs drops every set. */
  get(key: string, inputs: readonly unknown[]): PackedSet | undefined {
    if (!this.enabled) return undefined;
    this.sync(inputs);
    const entry = this.sets.get(key);
    if (!entry?.packed) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    this.sets.delete(key);
    this.sets.set(key, entry);
    return entry.packed;
  }

  /**
   * The answer held for `key` (with its set or on its own) for this request `shape` under `blend` (compared by
   * identity) at `nowMs`, unless the catalog changed since it was held; call right after `get`, which drops every
   * entry held under other inputs.
   */
  answer(key: string, shape: string, blend: unknown, nowMs: number): RecommendationList | undefined {
    const entry = this.sets.get(key);
    const held = entry?.answer;
    if (!entry || !held) return undefined;
    if (held.epoch !== this.changes && !entry.packed) {
      // A catalog change voided it, and it holds nothing else.
      this.drop(key);
      return undefined;
    }
    if (held.shape !== shape || held.blend !== blend || held.epoch !== this.changes || nowMs < held.since)
      return undefined;
    this.answerHits += 1;
    if (!entry.packed) {
      // An answer on its own is used only here: this is its use for the least-recently-used order.
      this.sets.delete(key);
      this.sets.set(key, entry);
    }
    return held.list;
  }

  /**
   * Holds `list`, ranked for `nowMs`, as the answer of `key`'s set to requests of this `shape` under `blend` from
   * then on, replacing any other — on its own when no set is held for `key` (a first ask, a set too big to hold) —
   * unless the inputs or the catalog changed since the request began (`inputs`, `ticket`): the list may then be
   * another state's. The list is shared from then on: nothing may change it.
   */
  holdAnswer(
    key: string,
    inputs: readonly unknown[],
    shape: string,
    blend: unknown,
    list: RecommendationList,
    nowMs: number,
    ticket: number,
  ): void {
    if (!this.enabled || !sameInputs(this.inputs, inputs) || ticket !== this.changes) return;
    const bytes = answerBytes(list);
    let entry = this.sets.get(key);
    if (!entry) {
      const own = ENTRY_OVERHEAD + 2 * key.length;
      if (own + bytes > this.maxBytes) return;
      entry = { packed: undefined, bytes: own, rows: NO_NUMBERS, unsold: NO_NUMBERS, priceRules: false };
      this.sets.set(key, entry);
      this.totalBytes += own;
    }
    this.totalBytes += bytes - (entry.answer?.bytes ?? 0);
    entry.bytes += bytes - (entry.answer?.bytes ?? 0);
    entry.answer = { shape, blend, epoch: this.changes, since: nowMs, list, bytes };
    this.dropOldestOverBound();
  }

  /**
   * Taken when a gathering begins and handed to `set`: a catalog change in between (the gathering may have read
   * the item before it) keeps the set from being held.
   */
  ticket(): number {
    return this.changes;
  }

  /**
   * Whether a set gathered now for `key` from `inputs` may be held: false when the cache is off, the inputs are no
   * longer the held sets' (`get` synced them), or, with `holdFrom` 2, the key is asked for the first time — which
   * the doorkeeper remembers from now on, and which counts as a first ask. A caller that packs a set only to hold
   * it asks this first: most carts are asked once, and packing their sets (a buffer of a few KB each) only for
   * `set` to turn them away was waste. `set` asks the doorkeeper too, so a key admitted here passes there.
   */
  admits(key: string, inputs: readonly unknown[]): boolean {
    if (!this.enabled || !sameInputs(this.inputs, inputs)) return false;
    if (this.door && !this.door.askedBefore(key)) {
      this.firstAsks += 1;
      return false;
    }
    return true;
  }

  /**
   * Holds `packed`, gathered from `inputs` as they were when its request began (`ticket`), having read the
   * catalog items `examined` (rows of the signals among `inputs`: see catalogChanged) under rules that bound the
   * price or not (`priceRules`). When the inputs or the catalog changed meanwhile the set is not held: it may be
   * what the old state gave. Nor is it, with `holdFrom` 2, when its key is asked for the first time.
   */
  set(
    key: string,
    inputs: readonly unknown[],
    packed: PackedSet,
    examined: ExaminedItems,
    ticket: number,
    priceRules = true,
  ): void {
    if (!this.enabled || !sameInputs(this.inputs, inputs) || ticket !== this.changes) return;
    const bytes = packedSetBytes(key, packed);
    if (bytes > this.maxBytes) return;
    if (this.door && !this.door.askedBefore(key)) {
      this.firstAsks += 1;
      return;
    }
    this.drop(key);
    const unsold =
      examined.ids.length === 0
        ? NO_NUMBERS
        : Int32Array.from(examined.ids, (id) => this.numbers.intern(id)).sort();
    // A set in a slot of the session thread's arena is copied out: the slot is reused once the request is done.
    const own = ownPacked(packed);
    const rows = own === packed ? examined.rows : examined.rows.slice();
    this.sets.set(key, { packed: own, bytes, rows, unsold, priceRules });
    this.totalBytes += bytes;
    this.dropOldestOverBound();
  }

  /**
   * The catalog changed these items (`'all'`: it was read again as a whole): every held set that read one of them
   * is dropped — unless, by `ruleFields`, the change left every field the business rules read as it was (an id
   * it does not list), or changed only the price and the set's rules do not bound it. `rowOf` gives an item's row
   * in the current signals (−1: none); should those not be the signals the held sets were gathered from, the
   * next `get` drops every set anyway, before any is read. Call it synchronously with the change, before any
   * request sees it.
   */
  catalogChanged(
    changed: readonly string[] | 'all',
    rowOf: (id: string) => number,
    ruleFields: ReadonlyMap<string, RuleFieldChange>,
  ): void {
    this.changes += 1;
    if (this.sets.size === 0) return;
    if (changed === 'all') {
      this.dropAll();
      return;
    }
    const rules = { rows: [] as number[], numbers: [] as number[] };
    const price = { rows: [] as number[], numbers: [] as number[] };
    let looked = 0;
    for (const id of changed) {
      const how = ruleFields.get(id);
      if (how === undefined) continue;
      if (++looked > MAX_IDS_LOOKED_UP) {
        this.dropAll();
        return;
      }
      const into = how === 'rules' ? rules : price;
      const row = rowOf(id);
      if (row >= 0) into.rows.push(row);
      else {
        // An item without a row that no held set read has no number: nothing to look for.
        const n = this.numbers.numberOf(id);
        if (n >= 0) into.numbers.push(n);
      }
    }
    if (looked === 0) return;
    const reads = (entry: Entry, items: { rows: number[]; numbers: number[] }) =>
      items.rows.some((r) => contains(entry.rows, r)) || items.numbers.some((n) => contains(entry.unsold, n));
    for (const [key, entry] of this.sets)
      if (reads(entry, rules) || (entry.priceRules && reads(entry, price))) {
        this.drop(key);
        this.droppedByCatalog += 1;
      }
  }

  stats(): SessionSetCacheStats {
    return {
      entries: this.sets.size,
      bytes: this.totalBytes,
      maxBytes: this.maxBytes,
      hits: this.hits,
      misses: this.misses,
      droppedByCatalog: this.droppedByCatalog,
      answerHits: this.answerHits,
      firstAsks: this.firstAsks,
    };
  }

  private sync(inputs: readonly unknown[]): void {
    if (sameInputs(this.inputs, inputs)) return;
    this.clear();
    this.inputs = [...inputs];
  }

  private dropAll(): void {
    this.droppedByCatalog += this.sets.size;
    this.clear();
  }

  private clear(): void {
    this.sets.clear();
    this.totalBytes = 0;
    this.numbers = new DenseIds();
  }

  /** Drops the least recently used entries until the held bytes are within the bound. */
  private dropOldestOverBound(): void {
    while (this.totalBytes > this.maxBytes) {
      const [, entry] = this.oldest.shift()!;
      this.totalBytes -= entry.bytes;
    }
  }

  private drop(key: string): void {
    const entry = this.sets.get(key);
    if (!entry) return;
    this.sets.delete(key);
    this.totalBytes -= entry.bytes;
  }
}

function sameInputs(a: readonly unknown[] | undefined, b: readonly unknown[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether the ascending `sorted` holds `n` (binary search). */
function contains(sorted: Int32Array, n: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid];
    if (v === n) return true;
    if (v < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
