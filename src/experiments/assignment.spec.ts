import { assignVariant, hashPoint } from './assignment';

describe('A/B assignment by hash', () => {
  it('is sticky: the same experiment and unit always get the same variant', () => {
    for (let i = 0; i < 200; i++) {
      const first = assignVariant('exp-1', `user-${i}`, [1, 1, 2]);
      for (let k = 0; k < 3; k++) expect(assignVariant('exp-1', `user-${i}`, [1, 1, 2])).toBe(first);
    }
  });

  it('splits in proportion to the weights', () => {
    // 20,000 units into 1 : 1 : 2 → expected 5,000 / 5,000 / 10,000. A binomial share's standard deviation is
    // √(n·p·(1 − p)) ≈ 61 (p = ¼) and 71 (p = ½), so ±300 is more than 4σ.
    const counts = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[assignVariant('exp-weights', `u${i}`, [1, 1, 2])]++;
    expect(Math.abs(counts[0] - 5000)).toBeLessThan(300);
    expect(Math.abs(counts[1] - 5000)).toBeLessThan(300);
    expect(Math.abs(counts[2] - 10_000)).toBeLessThan(300);
  });

  it('assigns independently per experiment', () => {
    // Were the experiment id ignored, every unit would agree; independent 50/50 splits agree about half the time.
    let same = 0;
    for (let i = 0; i < 4000; i++)
      if (assignVariant('exp-a', `u${i}`, [1, 1]) === assignVariant('exp-b', `u${i}`, [1, 1])) same++;
    expect(same).toBeGreaterThan(1800);
    expect(same).toBeLessThan(2200);
  });

  it('maps into [0, 1) and never picks a zero-weight slice', () => {
    for (let i = 0; i < 1000; i++) {
      const p = hashPoint('x', String(i));
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(1);
      expect(assignVariant('x', String(i), [0, 1, 0])).toBe(1);
    }
  });
});
