import { mulberry32 } from '../common/random';
import { dot, normalize } from '../common/vectors';
import type { BlendWeights } from './blend';
import type { CandidateSet } from './candidates';
import { blendScoreOf, rankForList } from './personalised-ranking';
import { candidateSet } from './testing/candidate-set';

const DIM = 16;

/**
 * The same random candidates twice: every cosine computed up front (as the gate has them), and deferred (as
 * serving gathers them). Vectors are of mixed lengths (0.5…2, as an index loaded from disk may hold), so a
 * bound that assumed unit vectors would show.
 */
function twins(seed: number, n: number): { full: CandidateSet; deferred: CandidateSet } {
  const random = mulberry32(seed);
  const profile = normalize(Float32Array.from({ length: DIM }, () => random() - 0.5));
  const vectors = Array.from({ length: n }, () => {
    const v = normalize(Float32Array.from({ length: DIM }, () => random() - 0.5));
    const len = 0.5 + 1.5 * random();
    return v.map((x) => x * len);
  });
  const ids = vectors.map((_, i) => `item-${String(i).padStart(4, '0')}`);
  // Coarse features make ties in the blend's other terms common.
  const features = {
    logPop: ids.map(() => Math.round(random() * 8) / 2),
    knn: ids.map(() => (random() < 0.3 ? Math.round(random() * 6) / 3 : 0)),
    repeat: ids.map(() => (random() < 0.1 ? Math.round(random() * 4) : 0)),
  };
  const full = candidateSet(ids, { ...features, cos: vectors.map((v) => dot(profile, v)) });
  const deferred = candidateSet(ids, features);
  deferred.profile = profile;
  deferred.deferred = {
    profileNorm: Math.sqrt(dot(profile, profile)),
    vectors: [...vectors],
    known: new Uint8Array(n),
    pending: n,
  };
  return { full, deferred };
}

const BLENDS: Record<string, BlendWeights> = {
  served: { cos: 4, pop: 0.25, trend: 0, knn: 1, repeat: 3, reorder: 0, newItem: 0.5 },
  'text-heavy': { cos: 12, pop: 0.05, trend: 0, knn: 0.2, repeat: 0.5, reorder: 0, newItem: 0 },
  'negative cosine': { cos: -2, pop: 1, trend: 0, knn: 1, repeat: 1, reorder: 0, newItem: 0 },
  'no cosine': { cos: 0, pop: 1, trend: 0, knn: 1, repeat: 1, reorder: 0, newItem: 0 },
};

describe('resolveCosines: deferred cosines rank as computed ones', () => {
  for (const [name, w] of Object.entries(BLENDS)) {
    it(`ranks the same list with the same scores (${name} blend)`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        for (const pool of [1, 10, 40]) {
          const { full, deferred } = twins(seed, 300);
          const shape = { limit: Math.min(pool, 10), pool, newItemSlots: 0 };
          const expected = rankForList(full, w, shape);
          const got = rankForList(deferred, w, shape);
          expect(got).toEqual(expected);
          expect(got.map((s) => blendScoreOf(deferred, w, s))).toEqual(
            expected.map((s) => blendScoreOf(full, w, s)),
          );
          expect(got.map((s) => deferred.cos[s])).toEqual(expected.map((s) => full.cos[s]));
        }
      }
    });
  }

  it('computes only a part of the cosines for a short list, and more when the same set is cut deeper', () => {
    const { full, deferred } = twins(7, 300);
    const w = BLENDS.served;
    rankForList(deferred, w, { limit: 10, pool: 10, newItemSlots: 0 });
    const afterShort = deferred.deferred!.pending;
    expect(afterShort).toBeGreaterThan(150);
    const deep = { limit: 10, pool: 200, newItemSlots: 0 };
    expect(rankForList(deferred, w, deep)).toEqual(rankForList(full, w, deep));
    expect(deferred.deferred!.pending).toBeLessThan(afterShort);
  });
});
