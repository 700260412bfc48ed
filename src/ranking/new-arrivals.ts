/**
 * Reserves up to `slots` of the first `limit` places of a ranked list for items that `isNew` accepts, by
 * moving the best-ranked of them from below the cut to the end of the shown part; the items they displace
 * follow right after them. Nothing moves when enough new items made the cut on their own. In place.
 *
 * Why: a never-sold item has no popularity, trend or co-purchase score, so every blend that sells well ranks
 * it below what already sells, and a new product would never get the first sale that lets it compete.
 */
export function reserveNewArrivalSlots<T>(
  ranked: T[],
  limit: number,
  slots: number,
  isNew: (item: T) => boolean,
): number {
  const top = Math.min(limit, ranked.length);
  let present = 0;
  for (let i = 0; i < top; i++) if (isNew(ranked[i])) present += 1;
  const need = Math.min(slots, top) - present;
  if (need <= 0) return 0;
  const promoted: T[] = [];
  for (let i = top; i < ranked.length && promoted.length < need; i++)
    if (isNew(ranked[i])) promoted.push(ranked[i]);
  if (promoted.length === 0) return 0;
  const head = ranked.slice(0, top);
  const displaced = new Set<T>();
  for (let i = head.length - 1; i >= 0 && displaced.size < promoted.length; i--)
    if (!isNew(head[i])) displaced.add(head[i]);
  const moved = new Set(promoted);
  const out = [
    ...head.filter((x) => !displaced.has(x)),
    ...promoted,
    ...head.filter((x) => displaced.has(x)),
    ...ranked.slice(top).filter((x) => !moved.has(x)),
  ];
  ranked.splice(0, ranked.length, ...out);
  return promoted.length;
}
