/** Tuned weights and the mean NDCG they reach. */
export interface Tuned<W> {
  weights: W;
  ndcg: number;
}

/**
 * The coordinate search every blend is tuned by (personalised: blend-tuning.ts, session: session-tuning.ts,
 * similar: similar-tuning.ts), maximising `score` (a mean NDCG over validation cases): from the best of
 * `starts`, rounds that try each weight of `keys` at a few multiples of its value (and 0; a weight at 0 from
 * its `seed` scale, 1 when none is given) and keep improvements. A round that improves nothing ends the search:
 * `score` is deterministic, so a further round would try the same weights again. A trial that leaves a weight
 * as it is is not scored (it cannot improve).
 */
export function coordinateSearch<W extends { [P in keyof W]: number }>(opts: {
  starts: readonly W[];
  keys: ReadonlyArray<keyof W>;
  score: (w: W) => number;
  rounds: number;
  seed?: Partial<Record<keyof W, number>>;
}): Tuned<W> {
  const { starts, keys, score, rounds, seed } = opts;
  let best = starts[0];
  let bestScore = score(best);
  for (const start of starts.slice(1)) {
    const s = score(start);
    if (s > bestScore + 1e-12) {
      best = start;
      bestScore = s;
    }
  }
  best = { ...best };
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (const key of keys) {
      const base = best[key] || seed?.[key] || 1;
      for (const f of [0, 0.25, 0.5, 0.75, 1.5, 2, 4]) {
        const trial = { ...best, [key]: f === 0 ? 0 : base * f };
        if (trial[key] === best[key]) continue;
        const s = score(trial);
        if (s > bestScore + 1e-9) {
          best = trial;
          bestScore = s;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { weights: best, ndcg: bestScore };
}

/**
 * The personalised and similar blends' search: from `start`, three rounds over every weight of `keys` but the
 * cosine's, which stays (the score's scale).
 */
export function searchButCosine<W extends { [P in keyof W]: number }>(
  start: W,
  keys: ReadonlyArray<keyof W>,
  score: (w: W) => number,
): Tuned<W> {
  const tuned = keys.filter((key) => key !== 'cos');
  return coordinateSearch({ starts: [start], keys: tuned, score, rounds: 3 });
}
