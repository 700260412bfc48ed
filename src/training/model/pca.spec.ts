import { fitPca, jacobiEigen, pcaTransform } from './pca';

describe('fitPca', () => {
  // Rows ±3·u1 and ±1·u2 (+ an offset) in R³: mean = offset, covariance = (18 u1u1ᵀ + 2 u2u2ᵀ)/3,
  // so the eigenvalues are 6 and 2/3 with eigenvectors u1, u2, and the third is 0.
  const u1 = [1 / Math.sqrt(2), 1 / Math.sqrt(2), 0];
  const u2 = [0, 0, 1];
  const offset = [0.5, -1, 2];
  const row = (scale: number, u: number[]): number[] => u.map((v, i) => offset[i] + scale * v);
  const rows = Float32Array.from([...row(3, u1), ...row(-3, u1), ...row(1, u2), ...row(-1, u2)]);

  it('recovers the known axes, variances and mean', () => {
    const basis = fitPca(rows, 3, 2, { seed: 1 });
    expect(basis.explainedVariance[0]).toBeCloseTo(6, 5);
    expect(basis.explainedVariance[1]).toBeCloseTo(2 / 3, 5);
    for (let a = 0; a < 3; a++) expect(basis.mean[a]).toBeCloseTo(offset[a], 6);
    // Sign convention: largest-magnitude entry positive, so u1 and u2 come back exactly (not negated).
    for (let a = 0; a < 3; a++) {
      expect(basis.components[a * 2]).toBeCloseTo(u1[a], 5);
      expect(basis.components[a * 2 + 1]).toBeCloseTo(u2[a], 5);
    }
  });

  it('projects onto the axes', () => {
    const basis = fitPca(rows, 3, 2, { seed: 1 });
    const projected = pcaTransform(basis, rows.subarray(0, 3));
    expect(projected[0]).toBeCloseTo(3, 5);
    expect(projected[1]).toBeCloseTo(0, 5);
  });

  it('is deterministic for a seed', () => {
    const a = fitPca(rows, 3, 2, { seed: 9 });
    const b = fitPca(rows, 3, 2, { seed: 9 });
    expect(Array.from(a.components)).toEqual(Array.from(b.components));
  });
});

describe('jacobiEigen', () => {
  it('diagonalises a symmetric matrix', () => {
    // Eigenvalues of [[2,1],[1,2]] are 3 and 1.
    const { values, vectors } = jacobiEigen(Float64Array.from([2, 1, 1, 2]), 2);
    const sorted = Array.from(values).sort((x, y) => y - x);
    expect(sorted[0]).toBeCloseTo(3, 10);
    expect(sorted[1]).toBeCloseTo(1, 10);
    // A·v = λ·v for the first column.
    const v = [vectors[0], vectors[2]];
    expect(2 * v[0] + v[1]).toBeCloseTo(values[0] * v[0], 10);
    expect(v[0] + 2 * v[1]).toBeCloseTo(values[0] * v[1], 10);
  });
});
