import { dot, dot2Into, normalize } from './vectors';

/** Deterministic values with no pattern a wrong index could hide behind. */
function vector(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * (1 + (i % 5)));
}

describe('vectors', () => {
  it('dot matches the textbook sum to float precision, tail included', () => {
    for (const n of [1, 3, 4, 7, 512]) {
      const a = vector(n, 1);
      const b = vector(n, 2);
      let plain = 0;
      for (let i = 0; i < n; i++) plain += a[i] * b[i];
      expect(dot(a, b)).toBeCloseTo(plain, 9);
    }
  });

  it('dot2Into writes exactly what dot gives for each side, at the given slot', () => {
    for (const n of [1, 6, 9, 512]) {
      const a = vector(n, 3);
      const b = vector(n, 4);
      const v = vector(n, 5);
      const outA = new Float64Array(3);
      const outB = new Float64Array(3);
      dot2Into(a, b, v, outA, outB, 2);
      expect(outA[2]).toBe(dot(a, v));
      expect(outB[2]).toBe(dot(b, v));
      expect([outA[0], outA[1], outB[0], outB[1]]).toEqual([0, 0, 0, 0]);
    }
  });

  it('normalize gives unit length and leaves the zero vector zero', () => {
    const u = normalize(vector(10, 6));
    expect(Math.sqrt(dot(u, u))).toBeCloseTo(1, 6);
    expect(Array.from(normalize(new Float32Array(4)))).toEqual([0, 0, 0, 0]);
  });
});
