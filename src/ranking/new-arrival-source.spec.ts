import { normalize } from '../common/vectors';
import type { NearestHit } from './candidates';
import { bestNewArrivals, NEW_ARRIVAL_SCAN_MAX, NewArrivalPool } from './new-arrival-source';

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

describe('bestNewArrivals', () => {
  const vectors = new Map(
    Object.entries({
      a: [1, 0],
      b: [0.8, 0.6],
      c: [0.8, 0.6],
      d: [0, 1],
    }).map(([id, v]) => [id, normalize(Float32Array.from(v))]),
  );
  const searched: number[] = [];
  const src = {
    vectorOf: (id: string) => vectors.get(id),
    nearest: (_v: Float32Array, k: number, pass: (id: string) => boolean): NearestHit[] => {
      searched.push(k);
      return ['d', 'a'].filter(pass).map((id) => ({ id, score: 0 }));
    },
  };
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
    expect(searched).toEqual([]);
  });

  it('asks the filtered vector search when the window is too large to score', () => {
    const many = Array.from({ length: NEW_ARRIVAL_SCAN_MAX + 1 }, (_, i) => `x${i}`);
    expect(bestNewArrivals(src, profile, many, 5, (id) => id !== 'd')).toEqual(['a']);
    expect(searched).toEqual([5]);
  });
});
