import type { PackedSet } from '../session-thread/packed-set';

/** Rough V8 cost of an entry besides its buffer and strings: the Map entry, the entry and PackedSet objects. */
const ENTRY_OVERHEAD = 160;

/** Heap bytes a held set costs: its buffer, its ids and its key (two bytes a character errs high). */
export function packedSetBytes(key: string, p: PackedSet): number {
  return ENTRY_OVERHEAD + p.buffer.byteLength + 2 * (p.ids.length + key.length);
}

export interface SessionSetCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
}

/**
 * Gathered session candidate sets (packed), per session and filter, for the inputs they were gathered from:
 * the served index, the purchase signals and the catalog snapshot's generation. Any change of those drops
 * every held set, so a held set is exactly what gathering would return now; the ranking, the rules stage and
 * the new-arrival places are still applied per request. A shopper's cart is asked for on every page while it
 * does not change: those repeats cost a lookup instead of a gathering (co-purchase and transition sums, a
 * vector search, a cosine per candidate).
 *
 * Bounded by estimated bytes (RECS_SESSION_CACHE_MAX_BYTES, 0: off), the least recently used set leaving first:
 * the key is client-chosen.
 */
export class SessionSetCache {
  private inputs: readonly unknown[] | undefined;
  /** Least recently used first (Map order: a hit or a write re-inserts the entry last). */
  private readonly sets = new Map<string, { packed: PackedSet; bytes: number }>();
  private totalBytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The set held for `key` under `inputs` (compared by identity); a change of inputs drops every set. */
  get(key: string, inputs: readonly unknown[]): PackedSet | undefined {
    if (!this.enabled) return undefined;
    this.sync(inputs);
    const entry = this.sets.get(key);
    if (!entry) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    this.sets.delete(key);
    this.sets.set(key, entry);
    return entry.packed;
  }

  /**
   * Holds `packed`, gathered from `inputs` as they were when its request began: when they changed meanwhile the
   * set is not held (it may be what the old state gave).
   */
  set(key: string, inputs: readonly unknown[], packed: PackedSet): void {
    if (!this.enabled || !sameInputs(this.inputs, inputs)) return;
    const bytes = packedSetBytes(key, packed);
    if (bytes > this.maxBytes) return;
    this.drop(key);
    this.sets.set(key, { packed, bytes });
    this.totalBytes += bytes;
    while (this.totalBytes > this.maxBytes) this.drop(this.sets.keys().next().value!);
  }

  stats(): SessionSetCacheStats {
    return {
      entries: this.sets.size,
      bytes: this.totalBytes,
      maxBytes: this.maxBytes,
      hits: this.hits,
      misses: this.misses,
    };
  }

  private sync(inputs: readonly unknown[]): void {
    if (sameInputs(this.inputs, inputs)) return;
    this.sets.clear();
    this.totalBytes = 0;
    this.inputs = [...inputs];
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
