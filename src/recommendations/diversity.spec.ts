import { mmr } from './diversity';

const v = (...xs: number[]) => Float32Array.from(xs);
const vectors: Record<string, Float32Array> = {
  a: v(1, 0),
  a2: v(1, 0), // a duplicate of a
  b: v(0, 1),
};
const candidates = [
  { id: 'a', score: 0.9 },
  { id: 'a2', score: 0.89 },
  { id: 'b', score: 0.5 },
];

describe('mmr', () => {
  it('keeps the relevance order at diversity 0', () => {
    expect(mmr(candidates, 2, 0, (id) => vectors[id]).map((c) => c.id)).toEqual(['a', 'a2']);
  });

  it('prefers a different item over a near-duplicate as diversity grows', () => {
    // a2: 0.5·(0.975) − 0.5·1 < b: 0.5·0 − 0.5·0
    expect(mmr(candidates, 2, 0.5, (id) => vectors[id]).map((c) => c.id)).toEqual(['a', 'b']);
  });
});
