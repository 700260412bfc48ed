import type { BlendWeights } from '../recommendations/blend';

/** One validation basket: per-candidate features and the items actually bought. */
export interface BlendCase {
  ids: string[];
  cos: Float32Array;
  logPop: Float32Array;
  logTrend: Float32Array;
  knn: Float32Array;
  repeat: Float32Array;
  reorder: Float32Array;
  isNew: Uint8Array;
  targets: ReadonlySet<string>;
}

function ndcg(ranked: string[], targets: ReadonlySet<string>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, r) => {
    if (targets.has(id)) dcg += 1 / Math.log2(r + 2);
  });
  let idcg = 0;
  for (let r = 0; r < Math.min(k, targets.size); r++) idcg += 1 / Math.log2(r + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

export function scoreCase(c: BlendCase, w: BlendWeights, k: number): string[] {
  const n = c.ids.length;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++)
    s[i] =
      w.cos * c.cos[i] +
      w.pop * c.logPop[i] +
      w.trend * c.logTrend[i] +
      w.knn * c.knn[i] +
      w.repeat * c.repeat[i] +
      w.reorder * c.reorder[i] +
      w.newItem * c.isNew[i];
  // Score descending, then id: the order a full sort gives. Only the first k matter, and the search scores every
  // basket thousands of times, so they are kept by insertion instead of sorting ~450 candidates each time.
  const ids = c.ids;
  const before = (a: number, b: number) => s[a] > s[b] || (s[a] === s[b] && ids[a] < ids[b]);
  const top = new Int32Array(Math.max(0, Math.min(k, n)));
  let size = 0;
  for (let i = 0; i < n && top.length > 0; i++) {
    if (size === top.length) {
      if (!before(i, top[size - 1])) continue;
      size -= 1;
    }
    let j = size;
    while (j > 0 && before(i, top[j - 1])) {
      top[j] = top[j - 1];
      j -= 1;
    }
    top[j] = i;
    size += 1;
  }
  return Array.from(top.subarray(0, size), (i) => ids[i]);
}

/**
 * Coordinate search of the blend weights by mean NDCG@k over validation baskets, starting from `start`.
 * Three rounds; each tries every weight at a few multiples of its value (and 0) and keeps improvements.
 */
export function tuneBlend(
  cases: readonly BlendCase[],
  start: BlendWeights,
  k = 10,
): { weights: BlendWeights; ndcg: number } {
  const evalW = (w: BlendWeights) =>
    cases.length ? cases.reduce((s, c) => s + ndcg(scoreCase(c, w, k), c.targets, k), 0) / cases.length : 0;
  let best = { ...start };
  let bestScore = evalW(best);
  const keys: Array<keyof BlendWeights> = ['pop', 'trend', 'knn', 'repeat', 'reorder', 'newItem'];
  for (let round = 0; round < 3; round++) {
    for (const key of keys) {
      const base = best[key] || 1;
      for (const f of [0, 0.25, 0.5, 0.75, 1.5, 2, 4]) {
        const trial = { ...best, [key]: f === 0 ? 0 : base * f };
        const score = evalW(trial);
        if (score > bestScore + 1e-9) {
          best = trial;
          bestScore = score;
        }
      }
    }
  }
  return { weights: best, ndcg: bestScore };
}
