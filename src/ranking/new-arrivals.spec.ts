import {
  exhaustedByExposure,
  isNewArrival,
  newArrivalPlaces,
  reserveNewArrivalSlots,
  type NewArrivalRule,
} from './new-arrivals';

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

describe('isNewArrival', () => {
  const day = 86_400_000;
  const now = Date.UTC(2026, 5, 30, 12);
  const since: Record<string, number> = {
    today: now - 3_600_000,
    day30: now - 30 * day,
    day31: now - 31 * day,
    old: now - 400 * day,
    soon: now + day,
  };
  const rule: NewArrivalRule = { days: 30, availableFrom: (id) => since[id] };

  it('is an unsold item on sale for at most the window, by its own date', () => {
    expect(isNewArrival(rule, 'today', 0, now)).toBe(true);
    expect(isNewArrival(rule, 'day30', 0, now)).toBe(true);
    expect(isNewArrival(rule, 'day31', 0, now)).toBe(false);
    expect(isNewArrival(rule, 'old', 0, now)).toBe(false);
  });

  it('is never a sold item, an item not on sale yet, or one without a date', () => {
    expect(isNewArrival(rule, 'today', 1, now)).toBe(false);
    expect(isNewArrival(rule, 'soon', 0, now)).toBe(false);
    expect(isNewArrival(rule, 'unknown', 0, now)).toBe(false);
  });

  it('depends on the moment asked: the same dead stock was a new arrival when it came in', () => {
    expect(isNewArrival(rule, 'old', 0, since.old + 10 * day)).toBe(true);
    expect(isNewArrival(rule, 'soon', 0, since.soon)).toBe(true);
  });

  it('drops an item the explore/exploit rule exhausted', () => {
    const exhausted = { ...rule, exhausted: (id: string) => id === 'today' };
    expect(isNewArrival(exhausted, 'today', 0, now)).toBe(false);
    expect(isNewArrival(exhausted, 'day30', 0, now)).toBe(true);
  });
});

describe('exhaustedByExposure', () => {
  it('takes the place after N impressions without a click, N more per click', () => {
    expect(exhaustedByExposure(199, 0, 200)).toBe(false);
    expect(exhaustedByExposure(200, 0, 200)).toBe(true);
    expect(exhaustedByExposure(399, 1, 200)).toBe(false);
    expect(exhaustedByExposure(400, 1, 200)).toBe(true);
    expect(exhaustedByExposure(5000, 30, 200)).toBe(false);
  });

  it('is off at 0', () => {
    expect(exhaustedByExposure(1_000_000, 0, 0)).toBe(false);
  });
});

describe('newArrivalPlaces', () => {
  const DAY = 86_400_000;
  const noon = Date.UTC(2026, 11, 4, 12);
  const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
  const keeping = (share: number, at: number) => keys.filter((k) => newArrivalPlaces(2, share, k, at) > 0);

  it('keeps every place in the share of lists, none in the others', () => {
    const kept = keeping(0.3, noon);
    // 20,000 draws: the binomial standard deviation of the share is 0.0032, so ±0.015 is over four of them.
    expect(kept.length / keys.length).toBeGreaterThan(0.285);
    expect(kept.length / keys.length).toBeLessThan(0.315);
    for (const k of keys.slice(0, 500)) expect([0, 2]).toContain(newArrivalPlaces(2, 0.3, k, noon));
  });

  it('gives a shopper the same answer all day and draws afresh the next', () => {
    const morning = Date.UTC(2026, 11, 4, 0, 0, 1);
    const evening = Date.UTC(2026, 11, 4, 23, 59, 59);
    expect(keeping(0.3, morning)).toEqual(keeping(0.3, noon));
    expect(keeping(0.3, evening)).toEqual(keeping(0.3, noon));
    // Independent days: a key changes its answer with probability 2 · 0.3 · 0.7 = 0.42.
    const today = new Set(keeping(0.3, noon));
    const tomorrow = new Set(keeping(0.3, noon + DAY));
    const changed = keys.filter((k) => today.has(k) !== tomorrow.has(k)).length / keys.length;
    expect(changed).toBeGreaterThan(0.4);
    expect(changed).toBeLessThan(0.44);
  });

  it('keeps all places at share 1 and none at 0 or without places', () => {
    expect(keys.every((k) => newArrivalPlaces(3, 1, k, noon) === 3)).toBe(true);
    expect(keys.every((k) => newArrivalPlaces(3, 0, k, noon) === 0)).toBe(true);
    expect(keys.every((k) => newArrivalPlaces(0, 1, k, noon) === 0)).toBe(true);
  });
});
