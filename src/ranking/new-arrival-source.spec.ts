import { normalize } from '../common/vectors';
import { bestNewArrivals, NEW_ARRIVAL_SCAN_MAX, NewArrivalPool } from './new-arrival-source';
import { mulberry32 } from '../common/random';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);

const dated = (since: Record<string, number>) =>
  Object.entries(since).map(([id, t]) => [id, { availableFrom: t }] as const);

describe('NewArrivalPool', () => {
  const since = {
    today: NOW,
    'day-30': NOW - 30 * DAY,
    'day-31': NOW - 31 * DAY,
    old: NOW - 400 * DAY,
    soon: NOW + 7 * DAY,
    'sold-new': NOW - 2 * DAY,
    'b-new': NOW - 2 * DAY,
    'a-new': NOW - 2 * DAY,
  };
  const sold = (id: string) => id.startsWith('sold');

  it('holds the unsold items on sale inside the window, oldest first (ties: id)', () => {
    const pool = NewArrivalPool.build(dated(since), sold, 30, NOW);
    expect(pool.at(NOW)).toEqual(['day-30', 'a-new', 'b-new', 'today']);
  });

  it('answers any moment within the slack it was built with, by that moment’s window', () => {
    const pool = NewArrivalPool.build(dated(since), sold, 30, NOW, 8 * DAY);
    expect(pool.covers(NOW + 8 * DAY)).toBe(true);
    expect(pool.covers(NOW + 9 * DAY)).toBe(false);
    expect(pool.at(NOW + 7 * DAY)).toEqual(['a-new', 'b-new', 'today', 'soon']);
    expect(pool.at(NOW - DAY)).toEqual(['day-31', 'day-30', 'a-new', 'b-new']);
  });

  it('keeps every unsold item with a date when built for any moment (the gate)', () => {
    const pool = NewArrivalPool.build(
      [...dated(since), ['undated', { availableFrom: NaN }] as const],
      sold,
      30,
      NOW,
      Infinity,
    );
    expect(pool.size).toBe(7);
    expect(pool.at(NOW - 380 * DAY)).toEqual(['old']);
  });
});

describe('NewArrivalPool.buildPaced', () => {
  it('yields between slices and builds the pool a plain sort of the unsold items in the window gives', () => {
    const rand = mulberry32(7);
    // 30,000 items over 60 days with many equal dates (ties go by id), a third sold.
    const items = Array.from({ length: 30_000 }, (_, i) => {
      const id = `item-${Math.floor(rand() * 1e9).toString(36)}-${i}`;
      return [id, { availableFrom: NOW - Math.floor(rand() * 60) * DAY }] as const;
    });
    const sold = (id: string) => id.charCodeAt(id.length - 1) % 3 === 0;
    const steps = NewArrivalPool.buildPaced(items, sold, 30, NOW);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields += 1;
    const pool = step.value;
    const expected = items
      .filter(([id, { availableFrom }]) => !sold(id) && availableFrom >= NOW - 30 * DAY - 1)
      .sort(([a, x], [b, y]) => x.availableFrom - y.availableFrom || (a < b ? -1 : a > b ? 1 : 0))
      .map(([id]) => id);
    expect(yields).toBeGreaterThan(1);
    expect(expected.length).toBeGreaterThan(5000);
    expect(pool.at(NOW)).toEqual(expected);
  });
});

describe('bestNewArrivals', () => {
  const vectors = new Map(
    Object.entries({
      a: [1, 0],
      b: [0.8, 0.6],
      c: [0.8, 0.6],
      d: [0, 1],
    }).map(([id, v]) => [id, normalize(Float32Array.from(v))]),
  );
  const src = { vectorOf: (id: string) => vectors.get(id) };
  const profile = normalize(Float32Array.from([1, 0.1]));
  const all = () => true;

  it('ranks the accepted ids with a vector by cosine, ties by id, up to k', () => {
    expect(bestNewArrivals(src, profile, ['d', 'c', 'no-vector', 'b', 'a'], 3, all)).toEqual(['a', 'b', 'c']);
    expect(bestNewArrivals(src, profile, ['d', 'c', 'b', 'a'], 3, (id) => id !== 'a')).toEqual([
      'b',
      'c',
      'd',
    ]);
    expect(bestNewArrivals(src, profile, ['d', 'c'], 0, all)).toEqual([]);
  });

  it('adds none from a window too large to score (the vector source covers it) and reads no vector for it', () => {
    const many = [
      ...['a', 'b', 'c', 'd'],
      ...Array.from({ length: NEW_ARRIVAL_SCAN_MAX - 3 }, (_, i) => `x${i}`),
    ];
    let read = 0;
    const counting = { vectorOf: (id: string) => (read++, vectors.get(id)) };
    expect(bestNewArrivals(counting, profile, many, 5, all)).toEqual([]);
    expect(read).toBe(0);
    // One id fewer is scored.
    expect(bestNewArrivals(counting, profile, many.slice(0, -1), 2, all)).toEqual(['a', 'b']);
  });
});
