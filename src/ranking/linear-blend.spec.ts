import { blendScore, blendScores, storedWeights } from './linear-blend';

describe('linear blend', () => {
  // Added left to right, 1e16 + 1 rounds back to 1e16 (doubles are 2 apart there): the sum is 0 in this key
  // order and 1 when the huge terms cancel first. A blend must add in its keys' order to give the same bits.
  const columns = {
    big: Float64Array.from([1e16, 2]),
    one: Float64Array.from([1, 3]),
    minusBig: Float64Array.from([-1e16, 5]),
    flag: Uint8Array.from([0, 1]),
  };
  const weights = { big: 1, one: 1, minusBig: 1, flag: 0.5 };

  it('adds the terms in the order of the keys', () => {
    expect(blendScore(columns, weights, ['big', 'one', 'minusBig'], 0)).toBe(0);
    expect(blendScore(columns, weights, ['big', 'minusBig', 'one'], 0)).toBe(1);
    expect(blendScore(columns, weights, ['big', 'one', 'minusBig', 'flag'], 1)).toBe(2 + 3 + 5 + 0.5);
  });

  it('scores every slot as blendScore does, to the bit', () => {
    for (const keys of [
      ['big', 'one', 'minusBig'],
      ['big', 'minusBig', 'one'],
      ['flag', 'one'],
    ] as const) {
      const out = blendScores(columns, weights, keys, 2, new Float64Array(3).fill(7));
      expect(Array.from(out.subarray(0, 2))).toEqual(
        [0, 1].map((s) => blendScore(columns, weights, keys, s)),
      );
      expect(out[2]).toBe(7); // past `size`: left alone
    }
    expect(
      Array.from(blendScores(columns, weights, ['big', 'one', 'minusBig'], 2, new Float64Array(2))),
    ).toEqual([0, 10]);
  });

  it('reads stored weights: finite numbers by key, 0 for a missing key, the fallback when nothing is stored', () => {
    const fallback = { a: 1, b: 2 };
    expect(storedWeights({ a: 3, b: 'x', c: 9 }, ['a', 'b'], fallback)).toEqual({ a: 3, b: 0 });
    expect(storedWeights({ a: Infinity }, ['a', 'b'], fallback)).toEqual({ a: 0, b: 0 });
    expect(storedWeights(null, ['a', 'b'], fallback)).toBe(fallback);
    expect(storedWeights('cos', ['a', 'b'], fallback)).toBe(fallback);
  });
});
