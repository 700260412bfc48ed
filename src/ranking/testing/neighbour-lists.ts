import { NeighbourLists } from '../neighbour-lists';

/** Neighbour lists written out by hand (item → [neighbour, similarity] in list order), for specs. */
export function neighbourLists(of: Record<string, Array<[string, number]>>): NeighbourLists {
  const itemIds = Object.keys(of);
  const offsets = new Int32Array(itemIds.length + 1);
  itemIds.forEach((id, k) => (offsets[k + 1] = offsets[k] + of[id].length));
  const ids = itemIds.flatMap((id) => of[id].map(([n]) => n));
  const sims = Float32Array.from(itemIds.flatMap((id) => of[id].map(([, s]) => s)));
  return NeighbourLists.fromCsr(itemIds, offsets, ids, sims);
}
