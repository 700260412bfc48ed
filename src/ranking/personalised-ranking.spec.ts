import { DEFAULT_BLEND } from './blend';
import { rankForList } from './personalised-ranking';
import { candidateSet } from './testing/candidate-set';

describe('rankForList', () => {
  it('shows each candidate once when there are fewer than the pool (a narrow filter)', () => {
    const set = candidateSet(['a', 'b', 'c'], { logPop: [3, 2, 1] });
    expect(rankForList(set, DEFAULT_BLEND, { limit: 10, pool: 10, newItemSlots: 1 })).toEqual([0, 1, 2]);
  });

  it('keeps a second new-arrival place from repeating the first candidate', () => {
    // The first candidate is the only new arrival and ranks first: no other can take the second place.
    const set = candidateSet(['new', 'b', 'c', 'd'], {
      cos: [1, 0, 0, 0],
      logPop: [0, 3, 2, 1],
      isNew: [1, 0, 0, 0],
    });
    const shown = rankForList(set, DEFAULT_BLEND, { limit: 3, pool: 3, newItemSlots: 2 });
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown[0]).toBe(0);
  });
});
