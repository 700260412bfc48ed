import {
  abShoppersForecast,
  abShoppersNeeded,
  interleaveShoppersForecast,
  interleaveShoppersNeeded,
  medianShoppersNeeded,
  type AbOutcome,
  type InterleaveOutcome,
} from './shoppers-needed';

describe('shoppers needed to reach significance', () => {
  it('interleaving: 8 unanimous wins are the fewest lists below p = 0.01', () => {
    // Sign test: 7-0 gives 2/2⁷ = 0.0156, 8-0 gives 2/2⁸ = 0.0078 < 0.01. Lists without a winner in between
    // add shoppers but no evidence.
    const wins: InterleaveOutcome[] = [1, 1, 1, 1, 1, 1, 1, 1];
    expect(interleaveShoppersNeeded(wins)).toBe(8);
    expect(interleaveShoppersNeeded([0, 1, 1, 1, 0, 1, 1, 1, 1, 1])).toBe(10);
    expect(interleaveShoppersNeeded([1, 1, 1, 1, 1, 1, 1])).toBeUndefined();
  });

  it('interleaving: a later loss that lifts p above the threshold resets the count', () => {
    // After 8 wins p = 0.0078; one loss: 2·P(X ≤ 1 | n = 9) = 2·10/512 = 0.039 → not significant; two more
    // wins (10-1): 2·11/2048 = 0.0107, still not; the 12th (11-1): 2·12/4096 = 0.00586 < 0.01 → 12.
    const o: InterleaveOutcome[] = [1, 1, 1, 1, 1, 1, 1, 1, -1, 1, 1, 1];
    expect(interleaveShoppersNeeded(o)).toBe(12);
    // The first variant winning is never "needed" for the second.
    expect(interleaveShoppersNeeded(o.map((x) => -x as InterleaveOutcome))).toBeUndefined();
  });

  it('A/B: the z-test must hold from n to the end, with the treatment ahead', () => {
    // 20 shoppers alternating control (no click) and treatment (1 click): after 2k shoppers each side has k
    // lists, means 0 and 1, pooled variance ¼, se = √(¼ · 2/k), z = √(2k), p = erfc(√k).
    // k = 3: z = 2.449, p = 0.0143; k = 4 (n = 8): z = 2.828, p = 0.00468 < 0.01. After n = 7 (control 4,
    // treatment 3): pooled mean 3/7, variance 12/49, se = √(12/49 · 7/12) = 0.378, z = 2.646, p = 0.00815 → 7.
    const o: AbOutcome[] = [];
    for (let i = 0; i < 20; i++) o.push(i % 2 === 0 ? { variant: 0, clicks: 0 } : { variant: 1, clicks: 1 });
    expect(abShoppersNeeded(o)).toBe(7);
    // The control winning is not what is asked.
    expect(
      abShoppersNeeded(o.map((x) => ({ variant: (1 - x.variant) as 0 | 1, clicks: x.clicks }))),
    ).toBeUndefined();
  });

  it('A/B: a dip above the threshold later on resets the count', () => {
    // Control 0 / treatment 1 alternating: p < 0.01 from shopper 7 (above). Shoppers 9 and 10 go the other way
    // (control clicks, treatment does not): after 9, control 1/5 vs treatment 4/4 → z = 2.4, p = 0.0164; after
    // 10, 1/5 vs 4/5 → pooled ½, se = √(¼ · 2/5) = 0.316, z = 1.897, p = 0.0578. Alternating again: after 13,
    // 1/7 vs 5/6 → z = 2.490, p = 0.0128; after 14, 1/7 vs 6/7 → z = 2.673, p = 0.00753, and lower from then on.
    const o: AbOutcome[] = [];
    for (let i = 0; i < 8; i++) o.push(i % 2 === 0 ? { variant: 0, clicks: 0 } : { variant: 1, clicks: 1 });
    o.push({ variant: 0, clicks: 1 }, { variant: 1, clicks: 0 });
    for (let i = 0; i < 8; i++) o.push(i % 2 === 0 ? { variant: 0, clicks: 0 } : { variant: 1, clicks: 1 });
    expect(abShoppersNeeded(o)).toBe(14);
  });

  it('median over seeded orders, Infinity when most orders never get there', () => {
    const o: InterleaveOutcome[] = [
      ...Array<InterleaveOutcome>(8).fill(1),
      ...Array<InterleaveOutcome>(8).fill(0),
    ];
    const m = medianShoppersNeeded(o, (x) => interleaveShoppersNeeded(x), 101, 7);
    // Every order reaches 8 wins only when the 8th win arrives: between the 8th and the 16th shopper.
    expect(m).toBeGreaterThanOrEqual(8);
    expect(m).toBeLessThanOrEqual(16);
    expect(medianShoppersNeeded(o, (x) => interleaveShoppersNeeded(x), 101, 7)).toBe(m);
    expect(
      medianShoppersNeeded([1, 1, 0] as InterleaveOutcome[], (x) => interleaveShoppersNeeded(x), 11),
    ).toBe(Infinity);
  });

  // z of a two-sided p = 0.01 is 2.5758293; z² = 6.6348966.
  it('A/B forecast: n = 2·z²·(σ₁² + σ₂²)/Δ² shoppers over both arms', () => {
    // Control never clicks (mean 0, variance 0); treatment clicks half the time (mean ½, variance ¼):
    // n = 2 · 6.6348966 · ¼ / ¼ = 13.27.
    const control = { n: 4, sum: 0, sumSq: 0 };
    const treatment = { n: 4, sum: 2, sumSq: 2 };
    expect(abShoppersForecast(control, treatment)).toBeCloseTo(13.2698, 3);
    // Two clicks per clicking shopper: mean 1, variance 1 → n = 2 · 6.6349 · 1 / 1 = 13.27 as well; arms
    // with the same mean never decide.
    expect(abShoppersForecast(control, { n: 4, sum: 4, sumSq: 8 })).toBeCloseTo(13.2698, 3);
    expect(abShoppersForecast(treatment, treatment)).toBe(Infinity);
  });

  it('interleaving forecast: z²/(2q − 1)² decided shoppers (at least 8), over the decided share', () => {
    // 30 wins, 10 losses among 100 shoppers: q = ¾, z²/½² = 26.54 decided, 40 % decide → 66.35 shoppers.
    expect(interleaveShoppersForecast(30, 10, 100)).toBeCloseTo(66.349, 3);
    // 9-1 of 10: q = 0.9, 6.6349/0.64 = 10.367 decided, all decide.
    expect(interleaveShoppersForecast(9, 1, 10)).toBeCloseTo(10.367, 3);
    // Unanimous wins: the normal approximation says 6.63, the exact test needs 8 decided; half decide → 16.
    expect(interleaveShoppersForecast(1, 0, 2)).toBe(16);
    expect(interleaveShoppersForecast(5, 5, 20)).toBe(Infinity);
    expect(interleaveShoppersForecast(0, 0, 20)).toBe(Infinity);
  });
});
