/** One place of an interleaved list: the item and the index (0 or 1) of the team that drafted it. */
export interface DraftedItem {
  id: string;
  team: 0 | 1;
}

/**
 * Team-draft interleaving (Radlinski, Kurup & Joachims, 2008). Like two captains picking players: the team
 * with fewer picks so far picks next, a coin decides when both have as many; a team picks its highest-ranked
 * item not already in the list. A team whose list is used up leaves the picks to the other. Each item
 * remembers its team, so a click credits the ranking that put it there.
 */
export function teamDraft(
  a: readonly string[],
  b: readonly string[],
  limit: number,
  coin: () => boolean,
): DraftedItem[] {
  const lists = [a, b] as const;
  const next = [0, 0];
  const picks = [0, 0];
  const taken = new Set<string>();
  const out: DraftedItem[] = [];
  const advance = (t: 0 | 1): string | undefined => {
    const list = lists[t];
    while (next[t] < list.length && taken.has(list[next[t]])) next[t]++;
    return next[t] < list.length ? list[next[t]] : undefined;
  };
  while (out.length < limit) {
    const first: 0 | 1 = picks[0] < picks[1] || (picks[0] === picks[1] && coin()) ? 0 : 1;
    const other: 0 | 1 = first === 0 ? 1 : 0;
    let team = first;
    let id = advance(first);
    if (id === undefined) {
      team = other;
      id = advance(other);
    }
    if (id === undefined) break;
    taken.add(id);
    picks[team]++;
    out.push({ id, team });
  }
  return out;
}
