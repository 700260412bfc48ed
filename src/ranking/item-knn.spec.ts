import { buildItemKnn, type ItemKnnModel } from './item-knn';
import { buildPurchaseMatrix } from './purchase-matrix';

function purchases(byUser: Record<string, string[]>) {
  return Object.entries(byUser).flatMap(([userId, items]) => items.map((itemId) => ({ userId, itemId })));
}

function neighboursOf(model: ItemKnnModel, id: string): Array<[string, number]> {
  const j = model.itemIndex.get(id)!;
  return Array.from(model.neighbors.subarray(model.offsets[j], model.offsets[j + 1]), (n, k) => [
    model.itemIds[n],
    model.similarities[model.offsets[j] + k],
  ]);
}

describe('buildItemKnn with buyer damping', () => {
  it('weighs each buyer 1/(distinct items)^damping in the co-occurrence and in each item’s mass', () => {
    // u1 {A,B} weighs 1/2, u2 {A,B,C,D} 1/4, u3 {B,C} 1/2. Masses: A 3/4, B 5/4, C 3/4, D 1/4.
    const stats = buildPurchaseMatrix(
      purchases({ u1: ['A', 'B'], u2: ['A', 'B', 'C', 'D'], u3: ['B', 'C'] }),
    );
    const a = neighboursOf(buildItemKnn(stats, 10, { damping: 1, maxItems: 0 }), 'A');
    expect(a.map(([id]) => id)).toEqual(['B', 'D', 'C']);
    expect(a[0][1]).toBeCloseTo((1 / 2 + 1 / 4) / Math.sqrt((3 / 4) * (5 / 4)), 12);
    expect(a[1][1]).toBeCloseTo(1 / 4 / Math.sqrt((3 / 4) * (1 / 4)), 12);
    expect(a[2][1]).toBeCloseTo(1 / 4 / (3 / 4), 12);
    const b = neighboursOf(buildItemKnn(stats, 10, { damping: 1, maxItems: 0 }), 'B');
    // A and C tie at 0.75/√(15/16): the lower id first.
    expect(b.map(([id]) => id)).toEqual(['A', 'C', 'D']);
    expect(b[1][1]).toBeCloseTo((1 / 4 + 1 / 2) / Math.sqrt((5 / 4) * (3 / 4)), 12);
    expect(b[2][1]).toBeCloseTo(1 / 4 / Math.sqrt((5 / 4) * (1 / 4)), 12);
    // Damping 0.5: weights 1/√2, 1/2, 1/√2.
    const half = neighboursOf(buildItemKnn(stats, 10, { damping: 0.5, maxItems: 0 }), 'A');
    const w2 = 1 / Math.SQRT2;
    expect(half[0]).toEqual([
      'B',
      expect.closeTo((w2 + 1 / 2) / Math.sqrt((w2 + 1 / 2) * (2 * w2 + 1 / 2)), 12),
    ]);
  });

  it('with damping 0 is the binary cosine: every buyer counts 1', () => {
    const stats = buildPurchaseMatrix(
      purchases({ u1: ['A', 'B'], u2: ['A', 'B', 'C', 'D'], u3: ['B', 'C'] }),
    );
    const a = neighboursOf(buildItemKnn(stats, 10, { damping: 0, maxItems: 0 }), 'A');
    expect(a).toEqual([
      ['B', expect.closeTo(2 / Math.sqrt(6), 12)],
      ['D', expect.closeTo(1 / Math.SQRT2, 12)],
      ['C', expect.closeTo(1 / 2, 12)],
    ]);
  });

  it('keeps a pair two shoppers bought together ahead of what three accounts buying everything share', () => {
    // Two shoppers bought A with B; three accounts of ten items each bought A and C among eight others.
    const others = (k: number) => Array.from({ length: 8 }, (_, i) => `X${k}-${i}`);
    const stats = buildPurchaseMatrix(
      purchases({
        s1: ['A', 'B'],
        s2: ['A', 'B'],
        k1: ['A', 'C', ...others(1)],
        k2: ['A', 'C', ...others(2)],
        k3: ['A', 'C', ...others(3)],
      }),
    );
    // Binary cosine: B 2/√(5·2) ≈ 0.63 against C 3/√(5·3) ≈ 0.77, so the accounts' item leads.
    const plain = neighboursOf(buildItemKnn(stats, 2, { damping: 0, maxItems: 0 }), 'A');
    expect(plain.map(([id]) => id)).toEqual(['C', 'B']);
    // Damped: shoppers weigh 1/2, accounts 1/10; A's mass 1.3, B's 1, C's 0.3.
    const damped = neighboursOf(buildItemKnn(stats, 2, { damping: 1, maxItems: 0 }), 'A');
    expect(damped).toEqual([
      ['B', expect.closeTo(1 / Math.sqrt(1.3), 12)],
      ['C', expect.closeTo(0.3 / Math.sqrt(1.3 * 0.3), 12)],
    ]);
  });

  it('leaves out a buyer of more than maxItems distinct items, and keeps every buyer with 0', () => {
    // u2 bought three items: over a limit of two it counts for nothing, C included (nobody else bought it).
    const stats = buildPurchaseMatrix(purchases({ u1: ['A', 'B'], u2: ['A', 'B', 'C'] }));
    const capped = buildItemKnn(stats, 10, { damping: 1, maxItems: 2 });
    expect(neighboursOf(capped, 'A')).toEqual([['B', expect.closeTo(1, 12)]]);
    expect(neighboursOf(capped, 'C')).toEqual([]);
    // Without the limit u2 weighs 1/3: A's and B's mass 1/2 + 1/3 (so A–B is 1), C's 1/3.
    const all = buildItemKnn(stats, 10, { damping: 1, maxItems: 0 });
    expect(neighboursOf(all, 'A')).toEqual([
      ['B', expect.closeTo(1, 12)],
      ['C', expect.closeTo(1 / 3 / Math.sqrt((1 / 2 + 1 / 3) * (1 / 3)), 12)],
    ]);
  });
});
