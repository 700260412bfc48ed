import { mulberry32 } from '../common/random';
import { dot, normalize } from '../common/vectors';
import { PurchaseSignals } from './purchase-signals';
import {
  gatherSessionCandidates,
  rankSessionList,
  sessionQuery,
  sessionScoreOf,
  type SessionBlend,
  type SessionCandidateSet,
  type SessionSources,
} from './session-ranking';
import { neighbourLists } from './testing/neighbour-lists';

const DIM = 16;
const N = 300;

/**
 * A random shop: vectors of mixed lengths (0.5…2, as an index loaded from disk may hold), random co-purchase
 * and transition lists and sales. Some items sell nothing (new-arrival candidates).
 */
function shop(seed: number): { sources: SessionSources; vectors: Map<string, Float32Array> } {
  const random = mulberry32(seed);
  const ids = Array.from({ length: N }, (_, i) => `i${String(i).padStart(3, '0')}`);
  const vectors = new Map(
    ids.map((id) => {
      const v = normalize(Float32Array.from({ length: DIM }, () => random() * 2 - 1));
      const len = 0.5 + random() * 1.5;
      return [id, v.map((x) => x * len)];
    }),
  );
  const randomList = (): Array<[string, number]> =>
    Array.from({ length: 12 }, () => ids[Math.floor(random() * N)])
      .filter((id, k, all) => all.indexOf(id) === k)
      .map((id) => [id, Math.round(random() * 64) / 64]);
  const knn: Record<string, Array<[string, number]>> = {};
  const trans: Record<string, Array<[string, number]>> = {};
  for (const id of ids) {
    knn[id] = randomList().sort((a, b) => b[1] - a[1]);
    trans[id] = randomList().sort((a, b) => b[1] - a[1]);
  }
  const signals = new PurchaseSignals(
    ids.map((itemId) => {
      const buyers = random() < 0.1 ? 0 : 1 + Math.floor(random() * 50);
      return { itemId, buyers, recentBuyers: Math.floor(buyers * random()), repeatBuyers: 0 };
    }),
    neighbourLists(knn),
    new Date('2011-06-01T00:00:00Z'),
    neighbourLists(trans),
  );
  const sources: SessionSources = {
    signals,
    vectorOf: (id) => vectors.get(id),
    // Exact search: the deferral must not depend on which neighbours the index returns.
    nearest: (q, k, pass) =>
      ids
        .filter(pass)
        .map((id) => ({ id, score: dot(q, vectors.get(id)!) }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, k),
  };
  return { sources, vectors };
}

const BLENDS: Record<string, SessionBlend> = {
  'sales-heavy': {
    cos: 0.1,
    cosFlat: 0.05,
    knn: 1,
    knnRecent: 2,
    trans: 1,
    transRecent: 2,
    trend: 0.5,
    pop: 1,
  },
  served: { cos: 2, cosFlat: 1, knn: 0.5, knnRecent: 1, trans: 0.25, transRecent: 1, trend: 0.1, pop: 0.2 },
  'text-heavy': {
    cos: 12,
    cosFlat: 6,
    knn: 0.1,
    knnRecent: 0.1,
    trans: 0,
    transRecent: 0.1,
    trend: 0,
    pop: 0.05,
  },
  'negative cosines': {
    cos: -2,
    cosFlat: 1,
    knn: 1,
    knnRecent: 1,
    trans: 1,
    transRecent: 1,
    trend: 0,
    pop: 0.5,
  },
};
const SHAPES = [
  { limit: 10, pool: 10, newItemSlots: 0 },
  { limit: 10, pool: 40, newItemSlots: 0 },
  { limit: 10, pool: 10, newItemSlots: 2 },
];

describe('session lists: deferred cosines rank as computed ones', () => {
  for (const seed of [1, 2, 3]) {
    const { sources, vectors } = shop(seed);
    const session = ['i010', 'i020', 'i030', 'i040', 'i050'];
    const query = sessionQuery(session.map((id) => normalize(Float32Array.from(vectors.get(id)!))))!;
    const pass = (id: string) => !session.includes(id);
    for (const [name, w] of Object.entries(BLENDS))
      for (const shape of SHAPES)
        it(`seed ${seed}, ${name} blend, pool ${shape.pool}, ${shape.newItemSlots} new-item slots`, () => {
          const full = gatherSessionCandidates(sources, session, query, pass);
          const deferred = gatherSessionCandidates({ ...sources, deferCosines: true }, session, query, pass);
          expect(deferred.deferred?.pending).toBe(deferred.size);
          const isNew = (set: SessionCandidateSet) => (i: number) =>
            sources.signals.buyersOf(set.ids[i]) === 0;
          const want = rankSessionList(full, w, shape, isNew(full));
          const got = rankSessionList(deferred, w, shape, isNew(deferred));
          expect(got.map((i) => deferred.ids[i])).toEqual(want.map((i) => full.ids[i]));
          expect(got.map((i) => sessionScoreOf(deferred, w, i))).toEqual(
            want.map((i) => sessionScoreOf(full, w, i)),
          );
        });
  }

  it('leaves the cosines uncomputed where the other terms already decide a short list', () => {
    const { sources, vectors } = shop(4);
    const session = ['i001', 'i002', 'i003'];
    const query = sessionQuery(session.map((id) => normalize(Float32Array.from(vectors.get(id)!))))!;
    const set = gatherSessionCandidates(
      { ...sources, deferCosines: true },
      session,
      query,
      (id) => !session.includes(id),
    );
    rankSessionList(set, BLENDS['sales-heavy'], SHAPES[0], () => false);
    expect(set.deferred!.pending).toBeGreaterThan(set.size / 2);
  });
});
