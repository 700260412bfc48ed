import { dot } from '../common/vectors';

export interface Scored {
  id: string;
  score: number;
}

/**
 * Maximal marginal relevance: picks `k` of the candidates, each time the one with the best
 * (1 − diversity)·relevance − diversity·(max similarity to what is already picked). Relevance is min-max
 * scaled to [0, 1] so that `diversity` means the same whatever scale the scores come in. diversity 0 keeps
 * the original order; items without a vector are treated as dissimilar to everything.
 */
export function mmr<T extends Scored>(
  candidates: T[],
  k: number,
  diversity: number,
  vectorOf: (id: string) => Float32Array | undefined,
): T[] {
  if (diversity <= 0 || candidates.length <= 1) return candidates.slice(0, k);
  const lambda = 1 - diversity;
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of candidates) {
    lo = Math.min(lo, c.score);
    hi = Math.max(hi, c.score);
  }
  const span = hi - lo || 1;
  const rest = candidates.map((c) => ({ c, rel: (c.score - lo) / span, v: vectorOf(c.id), maxSim: 0 }));
  const picked: T[] = [];
  while (picked.length < k && rest.length > 0) {
    let best = 0;
    let bestValue = -Infinity;
    for (let i = 0; i < rest.length; i++) {
      const r = rest[i];
      const value = lambda * r.rel - diversity * r.maxSim;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    const [chosen] = rest.splice(best, 1);
    picked.push(chosen.c);
    if (chosen.v) {
      for (const r of rest) if (r.v) r.maxSim = Math.max(r.maxSim, dot(r.v, chosen.v));
    }
  }
  return picked;
}
