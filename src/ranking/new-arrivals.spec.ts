import { reserveNewArrivalSlots } from './new-arrivals';

const isNew = (id: string) => id.startsWith('new');

describe('reserveNewArrivalSlots', () => {
  it('moves the best-ranked new item below the cut into the last shown place', () => {
    const ranked = ['a', 'b', 'c', 'd', 'new1', 'e', 'new2'];
    expect(reserveNewArrivalSlots(ranked, 3, 1, isNew)).toBe(1);
    expect(ranked).toEqual(['a', 'b', 'new1', 'c', 'd', 'e', 'new2']);
  });

  it('fills several slots in rank order, displacing the lowest non-new items', () => {
    const ranked = ['a', 'new0', 'b', 'c', 'd', 'new1', 'e', 'new2', 'new3'];
    expect(reserveNewArrivalSlots(ranked, 4, 3, isNew)).toBe(2);
    expect(ranked.slice(0, 4)).toEqual(['a', 'new0', 'new1', 'new2']);
    expect(ranked).toEqual(['a', 'new0', 'new1', 'new2', 'b', 'c', 'd', 'e', 'new3']);
  });

  it('leaves the list alone when enough new items made the cut, none exist, or slots are 0', () => {
    const cases: Array<[string[], number, number]> = [
      [['new0', 'a', 'b', 'new1'], 3, 1],
      [['a', 'b', 'c', 'd'], 2, 1],
      [['a', 'b', 'new1'], 2, 0],
      [['a', 'new1'], 5, 1],
    ];
    for (const [list, limit, slots] of cases) {
      const before = [...list];
      expect(reserveNewArrivalSlots(list, limit, slots, isNew)).toBe(0);
      expect(list).toEqual(before);
    }
  });
});
