/**
 * Takes a Map's entries out oldest first (insertion order), for a Map used as a queue or a least-recently-used
 * cache (a use deletes its key and sets it again, last). It reads them through one iterator kept across calls.
 * A fresh `map.keys().next()` starts at the front of the Map's table and steps over every entry deleted there
 * since the table was last compacted: a bounded cache that drops its oldest entry on every write stepped over
 * tens of thousands of such holes each time (12.7 µs at 50,000 entries, against 0.3 µs through a kept iterator;
 * bench in the design note "A cache drops its oldest entry in constant time").
 *
 * The kept iterator is right because every entry before its place was taken out by `shift` or deleted since:
 * new and re-set keys go after it. Deleting or re-setting entries elsewhere is fine; reading the first entry
 * any other way and leaving it is not needed, and not offered.
 */
export class OldestFirst<K, V> {
  private it: IterableIterator<[K, V]> | undefined;

  constructor(private readonly map: Map<K, V>) {}

  /** Deletes the Map's oldest entry and returns it; undefined when the Map is empty. */
  shift(): [K, V] | undefined {
    let next = this.it?.next();
    // An iterator that reached the end stays there, even when entries are added after: start another.
    if (next === undefined || next.done === true) {
      this.it = this.map.entries();
      next = this.it.next();
      if (next.done === true) return undefined;
    }
    this.map.delete(next.value[0]);
    return next.value;
  }
}
