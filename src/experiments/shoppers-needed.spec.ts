import {
  abShoppersNeeded,
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
});
