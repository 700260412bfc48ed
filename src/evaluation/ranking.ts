/** Plain code-unit order, never locale order: the protocol breaks ties "by item id in ascending string order". */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

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

/**
 * Best `k` candidates by score descending, ties by index ascending. Callers number items in ascending id order,
 * so index order is id order. Insertion into a k-long list beats sorting thousands of candidates per user.
 */
export function selectTopK(
  candidates: ArrayLike<number>,
  candidateCount: number,
  scores: Float64Array | Float32Array,
  k: number,
  skip: (index: number) => boolean,
): number[] {
  const top: number[] = [];
  for (let c = 0; c < candidateCount; c++) {
    const index = candidates[c];
    if (skip(index)) continue;
    const score = scores[index];
    if (top.length === k) {
      const last = top[k - 1];
      const lastScore = scores[last];
      if (score < lastScore || (score === lastScore && index > last)) continue;
    }
    let position = top.length < k ? top.length : k - 1;
    while (position > 0) {
      const previous = top[position - 1];
      const previousScore = scores[previous];
      if (previousScore > score || (previousScore === score && previous < index)) break;
      top[position] = previous;
      position--;
    }
    top[position] = index;
  }
  return top;
}
