import { DenseIds } from './dense-ids';

describe('DenseIds', () => {
  it('numbers ids 0, 1, 2, … in the order first seen, and keeps a number once given', () => {
    const ids = new DenseIds();
    expect(['b', 'a', 'b', 'c', 'a'].map((id) => ids.intern(id))).toEqual([0, 1, 0, 2, 1]);
    expect(ids.ids).toEqual(['b', 'a', 'c']);
    expect(ids.size).toBe(3);
  });

  it('answers −1 for an id it has not numbered, without numbering it', () => {
    const ids = new DenseIds();
    ids.intern('x');
    expect(ids.numberOf('x')).toBe(0);
    expect(ids.numberOf('y')).toBe(-1);
    expect(ids.size).toBe(1);
  });
});
