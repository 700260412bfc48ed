import { basketsByUser, buildTransitions, MAX_TRANSITION_PAIRS_PER_SEQUENCE } from './transitions';

const at = (h: number) => new Date(Date.UTC(2011, 0, 1, h));

describe('sequential transitions between consecutive baskets', () => {
  it('groups purchases into baskets by user and time, oldest first', () => {
    const baskets = basketsByUser([
      { userId: 'u', itemId: 'C', at: at(2) },
      { userId: 'u', itemId: 'B', at: at(1) },
      { userId: 'u', itemId: 'A', at: at(1) },
      { userId: 'u', itemId: 'A', at: at(1) },
    ]);
    expect(baskets.get('u')).toEqual([['A', 'B'], ['C']]);
  });

  it('takes single steps at one instant in the order given, and only purchases at one instant as a basket', () => {
    const baskets = basketsByUser([
      { userId: 'u', itemId: 'C', at: at(1), single: true },
      { userId: 'u', itemId: 'A', at: at(1), single: true },
      { userId: 'u', itemId: 'Z', at: at(0), single: true },
      { userId: 'u', itemId: 'B', at: at(1), single: true },
      { userId: 'u', itemId: 'E', at: at(1) },
      { userId: 'u', itemId: 'D', at: at(1) },
      { userId: 'u', itemId: 'C', at: at(1), single: true },
    ]);
    // Oldest first; at 1h the steps keep their order (C sent twice at one instant counts once, at its first
    // place), and the order lines sit at the place of the first of them.
    expect(baskets.get('u')).toEqual([['Z'], ['C'], ['A'], ['B'], ['D', 'E']]);
  });

  it("chains steps within their session only, and a user's orders across sessions", () => {
    const baskets = basketsByUser([
      { userId: 'u', itemId: 'A', at: at(1), single: true, sessionId: 's1' },
      { userId: 'u', itemId: 'P', at: at(1) },
      { userId: 'u', itemId: 'B', at: at(2), single: true, sessionId: 's1' },
      { userId: 'u', itemId: 'C', at: at(3), single: true, sessionId: 's2' },
      { userId: 'u', itemId: 'Q', at: at(3) },
      { userId: 'u', itemId: 'D', at: at(4), single: true, sessionId: 's2' },
      { userId: 'u', itemId: 'E', at: at(5), single: true },
    ]);
    expect([...baskets.values()]).toEqual([
      [['A'], ['B']],
      [['P'], ['Q'], ['E']],
      [['C'], ['D']],
    ]);
    const t = buildTransitions(baskets.values());
    const successors = (id: string) => {
      const j = t.itemIndex.get(id)!;
      return [...t.neighbors.subarray(t.offsets[j], t.offsets[j + 1])].map((n) => t.itemIds[n]);
    };
    // B ends its visit: nothing of the next one follows it.
    expect(successors('B')).toEqual([]);
    expect(successors('A')).toEqual(['B']);
    expect(successors('C')).toEqual(['D']);
    expect(successors('P')).toEqual(['Q']);
  });

  it('learns P(next | item) from consecutive baskets, leaving re-orders out', () => {
    // u1: {A,B} then {B,C}: A→C and B→C (B again is a re-order). u2: {A} then {C,D}: A→C, A→D.
    // u3: a single basket teaches nothing. A started 2 baskets with a successor: P(C|A) = 2/2, P(D|A) = 1/2;
    // B started 1: P(C|B) = 1/1.
    const t = buildTransitions([
      [
        ['A', 'B'],
        ['B', 'C'],
      ],
      [['A'], ['C', 'D']],
      [['A']],
    ]);
    expect(t.itemIds).toEqual(['A', 'B', 'C', 'D']);
    const listOf = (id: string) => {
      const j = t.itemIndex.get(id)!;
      return [...t.neighbors.subarray(t.offsets[j], t.offsets[j + 1])].map((n, k) => [
        t.itemIds[n],
        t.similarities[t.offsets[j] + k],
      ]);
    };
    expect(listOf('A')).toEqual([
      ['C', 1],
      ['D', 0.5],
    ]);
    expect(listOf('B')).toEqual([['C', 1]]);
    expect(listOf('C')).toEqual([]);
  });

  it('keeps the most likely successors, ties to the lower id', () => {
    const t = buildTransitions(
      [
        [['A'], ['E', 'D', 'F']],
        [['A'], ['F']],
      ],
      2,
    );
    const j = t.itemIndex.get('A')!;
    // P(F|A) = 2/2, P(D|A) = P(E|A) = 1/2: F, then D before E.
    expect([...t.neighbors.subarray(t.offsets[j], t.offsets[j + 1])].map((n) => t.itemIds[n])).toEqual([
      'F',
      'D',
    ]);
  });

  it('leaves out whole a sequence of more pairs than the budget, and counts it', () => {
    const successors = (t: ReturnType<typeof buildTransitions>, id: string) => {
      const j = t.itemIndex.get(id);
      return j === undefined
        ? []
        : [...t.neighbors.subarray(t.offsets[j], t.offsets[j + 1])].map((n) => t.itemIds[n]);
    };
    // 2·2 + 2·1 = 6 pairs: within a budget of 8. 3·3 = 9: over it.
    const kept = [['A', 'B'], ['C', 'D'], ['E']];
    const over = [
      ['P', 'Q', 'R'],
      ['S', 'T', 'U'],
    ];
    const stats = { sequencesLeftOut: 0 };
    const t = buildTransitions([kept, over], 10, stats, 8);
    expect(stats.sequencesLeftOut).toBe(1);
    expect(successors(t, 'A')).toEqual(['C', 'D']);
    expect(successors(t, 'C')).toEqual(['E']);
    expect(successors(t, 'P')).toEqual([]);
    expect(t.itemIds).not.toContain('S');
    // Without a budget the same sequence counts.
    const all = buildTransitions([kept, over], 10, undefined, Infinity);
    expect(successors(all, 'P')).toEqual(['S', 'T', 'U']);
  });

  it('by default leaves out an account restocking much of the catalog, before counting any of its pairs', () => {
    // Four consecutive orders of 1,300 lines: 3 × 1,690,000 pairs, just over the default budget.
    const order = (k: number) => Array.from({ length: 1300 }, (_, i) => `r${(i + 400 * k) % 2000}`);
    const reseller = [order(0), order(1), order(2), order(3)];
    expect(3 * 1300 * 1300).toBeGreaterThan(MAX_TRANSITION_PAIRS_PER_SEQUENCE);
    const shopper = [['A'], ['B']];
    const stats = { sequencesLeftOut: 0 };
    const t = buildTransitions([reseller, shopper], 10, stats);
    expect(stats.sequencesLeftOut).toBe(1);
    expect(t.itemIds).toEqual(['A', 'B']);
    // Three of those orders (2 × 1,690,000 pairs) are within it.
    const three = { sequencesLeftOut: 0 };
    expect(buildTransitions([reseller.slice(0, 3)], 10, three).itemIds.length).toBeGreaterThan(1000);
    expect(three.sequencesLeftOut).toBe(0);
  });
});
