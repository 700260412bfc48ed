import { mulberry32 } from '../common/random';
import { PurchaseSignals } from './purchase-signals';
import { neighbourLists as lists } from './testing/neighbour-lists';
import { reserveNewArrivalSlots } from './new-arrivals';
import {
  DEFAULT_SESSION_BLEND,
  emptySessionSet,
  gatherSessionCandidates,
  mainSource,
  rankSession,
  rankSessionList,
  SESSION_LIMITS,
  SESSION_VECTOR_EF,
  sessionDecay,
  SessionSetScratch,
  type SessionBlend,
  type SessionSources,
} from './session-ranking';

const asOf = new Date('2011-01-01T00:00:00Z');
const model = new PurchaseSignals(
  [
    { itemId: 'A', buyers: 5, recentBuyers: 0, repeatBuyers: 0 },
    { itemId: 'B', buyers: 4, recentBuyers: 0, repeatBuyers: 0 },
    { itemId: 'X', buyers: 3, recentBuyers: 1, repeatBuyers: 0 },
    { itemId: 'Y', buyers: 1, recentBuyers: 0, repeatBuyers: 0 },
    { itemId: 'Z', buyers: 1, recentBuyers: 0, repeatBuyers: 0 },
  ],
  lists({
    A: [['X', 0.5]],
    B: [
      ['X', 0.25],
      ['Y', 0.375],
    ],
  }),
  asOf,
  lists({ A: [['Z', 0.75]] }),
);
const sources: SessionSources = { signals: model, vectorOf: () => undefined, nearest: () => [] };
const notInSession = (id: string) => id !== 'A' && id !== 'B';
/** The sources above with vectors for A, B and `hit`, which the vector search finds for any query. */
const withHit = (hit: string): SessionSources => ({
  ...sources,
  vectorOf: (id) => (id === 'A' || id === 'B' || id === hit ? Float32Array.of(1, 0) : undefined),
  nearest: (_v, _k, pass) => [{ id: hit, score: 1 }].filter((h) => pass(h.id)),
});

describe('session ranking', () => {
  it('weighs the last session items most: halving every three items back', () => {
    expect(sessionDecay(2, 3)).toBe(1);
    expect(sessionDecay(0, 4)).toBe(0.5);
  });

  it('sums decayed co-purchase similarities and transition probabilities of the session items', () => {
    // Session A then B: d(A) = 2^(-1/3) ≈ 0.793701, d(B) = 1.
    const set = gatherSessionCandidates(sources, ['A', 'B'], undefined, notInSession);
    const at = (id: string) => set.ids.indexOf(id);
    const dA = Math.pow(2, -1 / 3);
    expect(set.knnRecent[at('X')]).toBeCloseTo(dA * 0.5 + 0.25, 6);
    expect(set.knn[at('X')]).toBeCloseTo(0.5 + 0.25, 6);
    expect(set.knnVia[at('X')]).toBe('A'); // 0.3969 from A beats 0.25 from B
    expect(set.knnRecent[at('Y')]).toBeCloseTo(0.375, 6);
    expect(set.transRecent[at('Z')]).toBeCloseTo(dA * 0.75, 6);
    expect(set.trans[at('Z')]).toBeCloseTo(0.75, 6);
    expect(set.transVia[at('Z')]).toBe('A');
    expect(set.logPop[at('X')]).toBeCloseTo(Math.log(4), 9);
    expect(set.logTrend[at('X')]).toBeCloseTo(Math.log(2), 9);
    expect(set.ids).not.toContain('A');
    expect(set.ids).not.toContain('B');
    // Each source hands over the model row it knows; they must be the rows a lookup by id gives.
    expect(Array.from(set.itemRows)).toEqual(set.ids.map((id) => model.rowOf(id)));
  });

  it('keeps a vector neighbour nobody bought, whose features come from a lookup by id', () => {
    const set = gatherSessionCandidates(withHit('NEW'), ['A', 'B'], Float32Array.of(1, 0), notInSession);
    const i = set.ids.indexOf('NEW');
    expect(set.itemRows[i]).toBe(-1);
    expect(set.cos[i]).toBeCloseTo(1, 9);
    expect([set.knn[i], set.trans[i], set.logPop[i]]).toEqual([0, 0, 0]);
  });

  it('asks the vector search for its neighbours with its own walk breadth', () => {
    const asked: Array<[number, number | undefined]> = [];
    const src: SessionSources = {
      ...withHit('NEW'),
      nearest: (_v, k, pass, ef) => {
        asked.push([k, ef]);
        return [{ id: 'NEW', score: 1 }].filter((h) => pass(h.id));
      },
    };
    gatherSessionCandidates(src, ['A', 'B'], Float32Array.of(1, 0), notInSession);
    expect(asked).toEqual([[SESSION_LIMITS.vector, SESSION_VECTOR_EF]]);
    expect(SESSION_VECTOR_EF).toBeGreaterThanOrEqual(SESSION_LIMITS.vector);
  });

  it('ranks by the blend: transitions can outrank co-purchase when they weigh more', () => {
    const set = gatherSessionCandidates(sources, ['A', 'B'], undefined, notInSession);
    const rank = (trans: number) =>
      rankSession(
        set,
        { cos: 0, cosFlat: 0, knn: 0, knnRecent: 1, trans: 0, transRecent: trans, trend: 0, pop: 0 },
        3,
      ).map((i) => set.ids[i]);
    // knn: X 0.6468, Y 0.375; trans: Z 0.5953·w.
    expect(rank(1)).toEqual(['X', 'Z', 'Y']);
    expect(rank(2)).toEqual(['Z', 'X', 'Y']); // Z: 1.1906
    const z = set.ids.indexOf('Z');
    expect(
      mainSource(
        set,
        { cos: 0, cosFlat: 0, knn: 0, knnRecent: 1, trans: 0, transRecent: 2, trend: 0, pop: 0 },
        z,
      ),
    ).toBe('transitions');
  });

  it('computes the flat cosine unless asked not to, and a blend without it ranks alike either way', () => {
    // Session A then B with 2-d unit vectors; X lies along A, Y along B, Z between them.
    const unit = (x: number, y: number) => {
      const n = Math.hypot(x, y);
      return Float32Array.of(x / n, y / n);
    };
    const vectors: Record<string, Float32Array> = {
      A: unit(1, 0),
      B: unit(0, 1),
      X: unit(1, 0),
      Y: unit(0, 1),
      Z: unit(1, 1),
    };
    const withVectors: SessionSources = { ...sources, vectorOf: (id) => vectors[id] };
    const dA = Math.pow(2, -1 / 3);
    const query = unit(dA, 1);
    const full = gatherSessionCandidates(withVectors, ['A', 'B'], query, notInSession);
    const skipped = gatherSessionCandidates(
      { ...withVectors, cosFlat: false },
      ['A', 'B'],
      query,
      notInSession,
    );
    const at = (id: string) => full.ids.indexOf(id);
    // The flat mean of A and B is (1, 1)/√2: Z lies on it, X and Y at 45°.
    expect(full.cosFlat[at('Z')]).toBeCloseTo(1, 6);
    expect(full.cosFlat[at('X')]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(full.cos[at('X')]).toBeCloseTo(dA / Math.hypot(dA, 1), 6);
    expect(Array.from(skipped.cosFlat)).toEqual(new Array(skipped.size).fill(0));
    expect(Array.from(skipped.cos)).toEqual(Array.from(full.cos));
    // The served defaults give the flat cosine no weight.
    const blend = DEFAULT_SESSION_BLEND;
    expect(blend.cosFlat).toBe(0);
    expect(rankSession(skipped, blend, 3).map((i) => skipped.ids[i])).toEqual(
      rankSession(full, blend, 3).map((i) => full.ids[i]),
    );
    // With weight on it, the flat cosine changes the order: Z (on the flat mean) rises above X.
    const flatOnly = { ...blend, cos: 0, knnRecent: 0, transRecent: 0, trend: 0, pop: 0, cosFlat: 1 };
    expect(rankSession(full, flatOnly, 1).map((i) => full.ids[i])).toEqual(['Z']);
  });

  it('selects each source by the blend it will be ranked with, and by either sum when the blend gives it no weight', () => {
    // S then T: d(S) = 2^(-1/3) ≈ 0.7937. Co-purchase: P by S (0.6), Q by T (0.5): P leads the flat sums (0.6 against
    // 0.5), Q the recency-weighted ones (0.4762 against 0.5). Transitions likewise: U by S, V by T.
    const signals = new PurchaseSignals(
      ['S', 'T', 'P', 'Q', 'U', 'V'].map((itemId) => ({
        itemId,
        buyers: 1,
        recentBuyers: 0,
        repeatBuyers: 0,
      })),
      lists({ S: [['P', 0.6]], T: [['Q', 0.5]] }),
      asOf,
      lists({ S: [['U', 0.6]], T: [['V', 0.5]] }),
    );
    const one: SessionSources = {
      signals,
      vectorOf: () => undefined,
      nearest: () => [],
      limits: { items: 100, vector: 0, perSource: 1, shelf: 0 },
    };
    const zero: SessionBlend = { ...DEFAULT_SESSION_BLEND, knn: 0, knnRecent: 0, trans: 0, transRecent: 0 };
    const gathered = (selectBy?: SessionBlend) =>
      [
        ...gatherSessionCandidates(
          { ...one, selectBy },
          ['S', 'T'],
          undefined,
          (id) => id !== 'S' && id !== 'T',
        ).ids,
      ].sort();
    expect(gathered()).toEqual(['P', 'Q', 'U', 'V']);
    expect(gathered(zero)).toEqual(['P', 'Q', 'U', 'V']);
    expect(gathered({ ...zero, knn: 1, transRecent: 1 })).toEqual(['P', 'V']);
    expect(gathered({ ...zero, knnRecent: 1, trans: 1 })).toEqual(['Q', 'U']);
    // Both sums weighed: P 1·0.6 + 1·0.4762 against Q 1.0; P 0.1·0.6 + 0.4762 = 0.5362 against Q 0.55.
    expect(gathered({ ...zero, knn: 1, knnRecent: 1, trans: 0.1, transRecent: 1 })).toEqual(['P', 'V']);
    // A source the blend does not weigh still brings its candidates by either sum.
    expect(gathered({ ...zero, knn: 1 })).toEqual(['P', 'U', 'V']);
  });

  it('gathers into a reused scratch buffer the same set as into fresh columns, after a larger set used it', () => {
    const scratch = new SessionSetScratch();
    const columns = (set: ReturnType<typeof gatherSessionCandidates>) => [
      set.ids,
      [...set.cos],
      [...set.cosFlat],
      [...set.knn],
      [...set.knnRecent],
      [...set.trans],
      [...set.transRecent],
      [...set.logTrend],
      [...set.logPop],
      [...set.itemRows],
    ];
    // A cart of A and B fills every column; a cart of B alone reaches fewer sources, so what A's set left in
    // the scratch must not show through.
    const big = gatherSessionCandidates(
      { ...withHit('X'), scratch },
      ['A', 'B'],
      Float32Array.of(1, 0),
      notInSession,
    );
    const bigCopy = columns(big);
    expect(bigCopy).toEqual(
      columns(gatherSessionCandidates(withHit('X'), ['A', 'B'], Float32Array.of(1, 0), notInSession)),
    );
    const onlyB = (id: string) => id !== 'B';
    const small = gatherSessionCandidates({ ...sources, scratch }, ['B'], undefined, onlyB);
    expect(columns(small)).toEqual(columns(gatherSessionCandidates(sources, ['B'], undefined, onlyB)));
    expect(small.knnRecent.buffer).toBe(big.knnRecent.buffer);
  });

  it('makes an item reached by the vector search and by co-purchase one candidate with both features', () => {
    const set = gatherSessionCandidates(withHit('X'), ['A', 'B'], Float32Array.of(1, 0), notInSession);
    expect(set.ids.filter((id) => id === 'X')).toEqual(['X']);
    const x = set.ids.indexOf('X');
    expect(set.cos[x]).toBeCloseTo(1, 9);
    expect(set.knn[x]).toBeCloseTo(0.75, 9);
    expect(new Set(set.ids).size).toBe(set.size);
  });

  it('reserves new-arrival places exactly as reserving in the fully ranked order would', () => {
    const random = mulberry32(7);
    const blend: SessionBlend = {
      cos: 1,
      cosFlat: 0,
      knn: 1,
      knnRecent: 0,
      trans: 0,
      transRecent: 0,
      trend: 0,
      pop: 0,
    };
    for (let trial = 0; trial < 300; trial++) {
      const size = 1 + Math.floor(random() * 120);
      // Coarse values: many exact ties, broken by id.
      const column = () => Float64Array.from({ length: size }, () => Math.floor(random() * 8) / 8);
      const set = emptySessionSet(
        Array.from(
          { length: size },
          (_, i) => `item-${String(Math.floor(random() * 1e6)).padStart(6, '0')}-${i}`,
        ),
      );
      set.cos.set(column());
      set.knn.set(column());
      const fresh = Uint8Array.from({ length: size }, () => (random() < 0.15 ? 1 : 0));
      const isNew = (slot: number) => fresh[slot] === 1;
      const limit = 1 + Math.floor(random() * 12);
      const pool = limit + Math.floor(random() * 3 * limit);
      const newItemSlots = 1 + Math.floor(random() * 3);
      const full = rankSession(set, blend, size);
      reserveNewArrivalSlots(full, limit, newItemSlots, isNew);
      expect(rankSessionList(set, blend, { limit, pool, newItemSlots }, isNew)).toEqual(full.slice(0, pool));
    }
  });
});
