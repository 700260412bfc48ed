import { coordinateSearch, type Tuned } from './coordinate-search';
import { ndcgAtK } from './ranking-metrics';
import {
  rankSession,
  SESSION_BLEND_KEYS,
  type SessionBlend,
  type SessionCandidateSet,
} from './session-ranking';

/** One validation session: the candidates the session ranking gathered for it, and the items bought next. */
export interface SessionCase {
  candidates: SessionCandidateSet;
  targets: ReadonlySet<string>;
}

/** Mean NDCG@k of the cases under `w`, each ranked by rankSession: the ranking serving uses. */
export function meanSessionNdcg(cases: readonly SessionCase[], w: SessionBlend, k: number): number {
  if (cases.length === 0) return 0;
  let sum = 0;
  for (const c of cases) {
    const set = c.candidates;
    const ids = rankSession(set, w, k).map((i) => set.ids[i]);
    sum += ndcgAtK(ids, c.targets, k);
  }
  return sum / cases.length;
}

/**
 * Starting points of the search: the served defaults, and each classic source alone with popularity as a
 * tie-breaker — `knn` alone ranks as the item-kNN baseline, `trans` alone as the Markov baseline — so the
 * tuned blend is never worse on the validation sessions than the better of them.
 */
export function sessionStarts(defaults: SessionBlend): SessionBlend[] {
  const zero: SessionBlend = {
    cos: 0,
    cosFlat: 0,
    knn: 0,
    knnRecent: 0,
    trans: 0,
    transRecent: 0,
    trend: 0,
    pop: 0,
  };
  return [defaults, { ...zero, knn: 1, pop: 1e-4 }, { ...zero, trans: 1, pop: 1e-4 }];
}

/** The scale a weight at 0 is tried at: roughly where it starts to matter against the others. */
const SEED: SessionBlend = {
  cos: 1,
  cosFlat: 1,
  knn: 1,
  knnRecent: 1,
  trans: 1,
  transRecent: 1,
  trend: 0.05,
  pop: 0.05,
};

/**
 * Coordinate search of the session blend by mean NDCG@k over validation sessions (coordinate-search.ts): from
 * the best of `sessionStarts`, rounds that try every weight at a few multiples of its value (and 0; a weight at
 * 0 from its seed scale) and keep improvements. The cosine is searched too: on some shops the session's text
 * says little about what comes next, and only data can tell.
 */
export function tuneSessionBlend(
  cases: readonly SessionCase[],
  defaults: SessionBlend,
  k = 10,
  rounds = 3,
): Tuned<SessionBlend> {
  return coordinateSearch({
    starts: sessionStarts(defaults),
    keys: SESSION_BLEND_KEYS,
    score: (w) => meanSessionNdcg(cases, w, k),
    rounds,
    seed: SEED,
  });
}
