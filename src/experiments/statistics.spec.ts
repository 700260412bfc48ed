import { lift, meanInterval, signTest, twoProportionZTest, twoSidedP } from './statistics';

/** Expected values are worked out by hand below each case (Φ from tables / erfc), never by the code under test. */
describe('experiment statistics', () => {
  it('95 % interval of a 0/1 rate is the Wald interval', () => {
    // 40 clicked lists of 200: p = 0.2, variance p(1 − p) = 0.16, se = √(0.16 / 200) = √0.0008 = 0.0282843,
    // half-width = 1.959964 × 0.0282843 = 0.0554362 → [0.1445638, 0.2554362].
    const [low, high] = meanInterval({ n: 200, sum: 40, sumSq: 40 });
    expect(low).toBeCloseTo(0.1445638, 6);
    expect(high).toBeCloseTo(0.2554362, 6);
  });

  it('uses the per-list spread when lists are clicked several times, clipped at 0', () => {
    // Clicks per list 0, 0, 1, 3: n = 4, Σ = 4, Σx² = 10, mean 1, variance 10/4 − 1² = 1.5,
    // se = √(1.5 / 4) = 0.6123724, half-width = 1.959964 × 0.6123724 = 1.2002279 → [−0.2002 → 0, 2.2002279].
    const [low, high] = meanInterval({ n: 4, sum: 4, sumSq: 10 });
    expect(low).toBe(0);
    expect(high).toBeCloseTo(2.2002279, 6);
    expect(meanInterval({ n: 0, sum: 0, sumSq: 0 })).toEqual([0, 0]);
  });

  it('two-proportion z-test with the pooled variance', () => {
    // Control 20 clicked of 200, variant 40 of 200. Pooled p̄ = 60/400 = 0.15, p̄(1 − p̄) = 0.1275,
    // se = √(0.1275 × (1/200 + 1/200)) = √0.001275 = 0.0357071, z = (0.2 − 0.1) / 0.0357071 = 2.8005602,
    // two-sided p = 2·Φ(−2.8005602) = erfc(2.8005602/√2) = 0.0051014.
    const { z, pValue } = twoProportionZTest({ n: 200, sum: 20, sumSq: 20 }, { n: 200, sum: 40, sumSq: 40 });
    expect(z).toBeCloseTo(2.8005602, 6);
    expect(pValue).toBeCloseTo(0.0051014, 6);
    // The sign follows the variant: swapping the sides flips z, not p.
    const swapped = twoProportionZTest({ n: 200, sum: 40, sumSq: 40 }, { n: 200, sum: 20, sumSq: 20 });
    expect(swapped.z).toBeCloseTo(-2.8005602, 6);
    expect(swapped.pValue).toBeCloseTo(0.0051014, 6);
  });

  it('two-proportion z-test on lists clicked several times uses their spread', () => {
    // Control clicks per list: six 0s, three 1s, one 2 → n 10, Σ 5, Σx² 7. Variant: three 0s, four 1s,
    // three 3s → n 10, Σ 13, Σx² 31. Pooled mean 18/20 = 0.9, pooled variance 38/20 − 0.81 = 1.09,
    // se = √(1.09 × 0.2) = 0.4669047, z = (1.3 − 0.5) / 0.4669047 = 1.7134117, p = erfc(z/√2) = 0.0866368.
    const { z, pValue } = twoProportionZTest({ n: 10, sum: 5, sumSq: 7 }, { n: 10, sum: 13, sumSq: 31 });
    expect(z).toBeCloseTo(1.7134117, 6);
    expect(pValue).toBeCloseTo(0.0866368, 6);
  });

  it('has no evidence without lists or without any spread', () => {
    expect(twoProportionZTest({ n: 0, sum: 0, sumSq: 0 }, { n: 5, sum: 1, sumSq: 1 }).pValue).toBe(1);
    expect(twoProportionZTest({ n: 5, sum: 0, sumSq: 0 }, { n: 5, sum: 0, sumSq: 0 }).pValue).toBe(1);
  });

  it('two-sided p of z = 1.959964 is 0.05 and of 0 is 1', () => {
    // Φ(−1.959964) = 0.025 by definition of the 97.5 % quantile.
    expect(twoSidedP(1.959963984540054)).toBeCloseTo(0.05, 9);
    expect(twoSidedP(-1.959963984540054)).toBeCloseTo(0.05, 9);
    expect(twoSidedP(0)).toBe(1);
  });

  it('lift is the relative change of the mean', () => {
    // 40/200 = 0.2 against 20/200 = 0.1: 0.2 / 0.1 − 1 = 1 (+100 %).
    expect(lift({ n: 200, sum: 20, sumSq: 20 }, { n: 200, sum: 40, sumSq: 40 })).toBeCloseTo(1, 12);
    expect(lift({ n: 200, sum: 0, sumSq: 0 }, { n: 200, sum: 40, sumSq: 40 })).toBeUndefined();
  });

  it('sign test is the exact two-sided binomial test', () => {
    // 9 wins, 1 loss: P(X ≤ 1) for X ~ Bin(10, ½) = (C(10,0) + C(10,1)) / 2¹⁰ = 11/1024; p = 22/1024 = 0.021484375.
    expect(signTest(9, 1)).toBeCloseTo(22 / 1024, 12);
    expect(signTest(1, 9)).toBeCloseTo(22 / 1024, 12);
    // 8 wins, no loss: 2 × (1/2⁸) = 2/256 = 0.0078125, the fewest unanimous lists that reach p < 0.01.
    expect(signTest(8, 0)).toBeCloseTo(0.0078125, 12);
    // 7-0: 2/128 = 0.015625, not yet below 0.01.
    expect(signTest(7, 0)).toBeCloseTo(0.015625, 12);
    // 5-5: 2 × P(X ≤ 5) = 2 × 638/1024 > 1 → 1; no outcome at all → 1.
    expect(signTest(5, 5)).toBe(1);
    expect(signTest(0, 0)).toBe(1);
  });
});
