/**
 * Takes `ranked` in order, then tops up from `popularity`, skipping excluded and already taken ids, until `k`.
 * Every baseline ends with this, so a method never returns a short list just because it ran out of candidates.
 */
export function fillWithPopularity(
  ranked: readonly string[],
  popularity: readonly string[],
  k: number,
  exclude: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  const taken = new Set<string>();
  for (const list of [ranked, popularity]) {
    for (const id of list) {
      if (out.length >= k) return out;
      if (exclude.has(id) || taken.has(id)) continue;
      taken.add(id);
      out.push(id);
    }
  }
  return out;
}
