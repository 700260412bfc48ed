import { buildTrainingPairs, contextWeight, Interaction, validationWindowStart } from './training-pairs';

const DAY = 86_400_000;
const t0 = Date.UTC(2024, 0, 1);
const at = (days: number): Date => new Date(t0 + days * DAY);

describe('buildTrainingPairs', () => {
  const items = ['a', 'b', 'c', 'd'];
  const log: Interaction[] = [
    { userId: 'u1', itemId: 'a', timestamp: at(0), basketId: 'i1' },
    { userId: 'u1', itemId: 'a', timestamp: at(0), basketId: 'i1' },
    { userId: 'u1', itemId: 'b', timestamp: at(0), basketId: 'i1' },
    { userId: 'u1', itemId: 'c', timestamp: at(5), weight: 0.2 }, // a view: context only
    { userId: 'u1', itemId: 'c', timestamp: at(10), basketId: 'i2' },
    { userId: 'u1', itemId: 'a', timestamp: at(10), basketId: 'i2' },
    { userId: 'u1', itemId: 'c', timestamp: at(10), basketId: 'i2' },
    // u2 has no basketId: purchases at the same instant form one basket.
    { userId: 'u2', itemId: 'd', timestamp: at(1) },
    { userId: 'u2', itemId: 'a', timestamp: at(40) },
    { userId: 'u2', itemId: 'b', timestamp: at(40) },
    { userId: 'u2', itemId: 'unknown', timestamp: at(40) },
  ];

  it('builds one pair per distinct basket item with the history as context', () => {
    const pairs = buildTrainingPairs(log, items, { halfLifeDays: 60 });
    // u1: basket i2 (c, a) after i1 + view; u2: basket at day 40 (a, b) after d. First baskets have no context.
    expect(Array.from(pairs.train.target)).toEqual([2, 0, 0, 1]);
    expect(pairs.validation.target.length).toBe(0);
    expect(pairs.unknownItemInteractions).toBe(1);

    const b = pairs.train.basket[0];
    const ctx = new Map<number, number>();
    for (let k = pairs.contexts.offsets[b]; k < pairs.contexts.offsets[b + 1]; k++) {
      ctx.set(pairs.contexts.items[k], pairs.contexts.weights[k]);
    }
    // a bought twice on day 0, b once on day 0, c viewed (weight 0.2) on day 5; basket on day 10.
    expect(ctx.get(0)).toBeCloseTo(contextWeight(2, 10 * DAY, 1, 60), 6);
    expect(ctx.get(1)).toBeCloseTo(Math.log(2) * Math.pow(2, -10 / 60), 6);
    expect(ctx.get(2)).toBeCloseTo(Math.log(2) * Math.pow(2, -5 / 60) * 0.2, 6);
    expect(ctx.has(3)).toBe(false);
  });

  it('sends baskets of the last validationDays before now to validation', () => {
    const pairs = buildTrainingPairs(log, items, { now: at(41), validationDays: 20 });
    expect(Array.from(pairs.train.target)).toEqual([2, 0]);
    expect(Array.from(pairs.validation.target)).toEqual([0, 1]);
    // Counts only see the training window: u2's day-40 purchases are not counted.
    expect(Array.from(pairs.itemInteractions)).toEqual([3, 1, 3, 1]);
    expect(Array.from(pairs.itemBuyers)).toEqual([1, 1, 1, 1]);
  });

  it('ignores baskets at or after now', () => {
    const pairs = buildTrainingPairs(log, items, { now: at(40) });
    expect(Array.from(pairs.train.target)).toEqual([2, 0]);
  });

  it('validates a history younger than the window on its last fifth, so that it has something to train on', () => {
    // The log's first basket is on day 0 and `now` is day 41: a 60-day window would hold every basket.
    const pairs = buildTrainingPairs(log, items, { now: at(41), validationDays: 60 });
    expect(pairs.validationStart).toBe(t0 + 0.8 * 41 * DAY);
    // As with a 20-day window: day 10 trains, day 40 validates.
    expect(Array.from(pairs.train.target)).toEqual([2, 0]);
    expect(Array.from(pairs.validation.target)).toEqual([0, 1]);
  });

  describe('contextMaxItems', () => {
    // One shopper buys e, then d, c, b and a (b twice) on days 0–4, then x on day 10: x's context holds five
    // items whose weights differ by count and age.
    const catalog = ['a', 'b', 'c', 'd', 'e', 'x'];
    const history: Interaction[] = [
      { userId: 'u', itemId: 'e', timestamp: at(0) },
      { userId: 'u', itemId: 'd', timestamp: at(1) },
      { userId: 'u', itemId: 'c', timestamp: at(2) },
      { userId: 'u', itemId: 'b', timestamp: at(3) },
      { userId: 'u', itemId: 'b', timestamp: at(3.5) },
      { userId: 'u', itemId: 'a', timestamp: at(4) },
      { userId: 'u', itemId: 'x', timestamp: at(10) },
    ];
    const lastContext = (pairs: ReturnType<typeof buildTrainingPairs>) => {
      const b = pairs.train.basket[pairs.train.basket.length - 1];
      const { offsets, items: ids, weights } = pairs.contexts;
      return {
        items: Array.from(ids.subarray(offsets[b], offsets[b + 1])).map((i) => catalog[i]),
        weights: Array.from(weights.subarray(offsets[b], offsets[b + 1])),
      };
    };

    it('keeps the heaviest history items, in the order they were first seen, with their own weights', () => {
      const all = lastContext(buildTrainingPairs(history, catalog, { halfLifeDays: 60 }));
      expect(all.items).toEqual(['e', 'd', 'c', 'b', 'a']);
      const capped = lastContext(
        buildTrainingPairs(history, catalog, { halfLifeDays: 60, contextMaxItems: 2 }),
      );
      // b (bought twice) and a (the latest) outweigh the rest; they keep b-before-a, their first-seen order.
      expect(capped.items).toEqual(['b', 'a']);
      expect(capped.weights[0]).toBeCloseTo(contextWeight(2, 6.5 * DAY, 1, 60), 6);
      expect(capped.weights[1]).toBeCloseTo(contextWeight(1, 6 * DAY, 1, 60), 6);
      // The pairs themselves do not change: only what each context holds.
      expect(Array.from(buildTrainingPairs(history, catalog, { contextMaxItems: 2 }).train.target)).toEqual(
        Array.from(buildTrainingPairs(history, catalog, {}).train.target),
      );
    });

    it('keeps the earlier seen of equally heavy items, and every item of a shorter context', () => {
      // Five items bought once at one instant, then y: all five weigh the same.
      const same: Interaction[] = ['e', 'd', 'c', 'b', 'a'].map((itemId) => ({
        userId: 'v',
        itemId,
        timestamp: at(0),
        basketId: `k-${itemId}`,
      }));
      same.push({ userId: 'v', itemId: 'x', timestamp: at(1) });
      expect(lastContext(buildTrainingPairs(same, catalog, { contextMaxItems: 3 })).items).toEqual([
        'e',
        'd',
        'c',
      ]);
      expect(lastContext(buildTrainingPairs(same, catalog, { contextMaxItems: 5 })).items).toHaveLength(5);
    });
  });
});

describe('validationWindowStart', () => {
  const now = t0 + 30 * DAY;

  it('is validationDays before now when a basket comes earlier', () => {
    expect(validationWindowStart(t0, now, 14)).toBe(now - 14 * DAY);
  });

  it('is the last fifth of the span when every basket falls in the window', () => {
    expect(validationWindowStart(t0 + 20 * DAY, now, 14)).toBe(t0 + 28 * DAY);
    // A history sent within a minute, without timestamps of its own: its last 12 seconds.
    expect(validationWindowStart(now - 60_000, now, 14)).toBe(now - 12_000);
  });

  it('is now with no window, and validationDays before now with no basket at all', () => {
    expect(validationWindowStart(t0 + 20 * DAY, now, 0)).toBe(now);
    expect(validationWindowStart(Infinity, now, 14)).toBe(now - 14 * DAY);
  });
});
