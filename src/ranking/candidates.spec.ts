import { dot, normalize } from '../common/vectors';
import { gatherCandidates, type HistoryItem, type RankingSources } from './candidates';
import { NewArrivalPool } from './new-arrival-source';
import { PurchaseSignals } from './purchase-signals';
import { rankForList } from './personalised-ranking';
import type { NewArrivalRule } from './new-arrivals';

const DAY = 86_400_000;
const NOW = new Date('2026-06-30T12:00:00Z');

/**
 * A shopper who bought a lamp. Unsold lamps: one on sale for days (new), one for months (dead stock, closer to
 * the lamp by text than the new one), one announced for next week; a sold bulb and shade besides.
 */
const VECTORS: Record<string, number[]> = {
  lamp: [1, 0, 0],
  'lamp-dead': [0.99, 0.14, 0],
  'lamp-new': [0.9, 0.43, 0],
  'lamp-soon': [0.98, 0.2, 0],
  bulb: [0.6, 0, 0.8],
  shade: [0.5, 0, 0.87],
};
const ON_SALE: Record<string, number> = {
  lamp: NOW.getTime() - 400 * DAY,
  'lamp-dead': NOW.getTime() - 120 * DAY,
  'lamp-new': NOW.getTime() - 3 * DAY,
  'lamp-soon': NOW.getTime() + 7 * DAY,
  bulb: NOW.getTime() - 400 * DAY,
  shade: NOW.getTime() - 400 * DAY,
};

/** Exact nearest neighbours among a few unit vectors. */
function exactSearch(unit: ReadonlyMap<string, Float32Array>): RankingSources['nearest'] {
  return (v, k, pass) =>
    [...unit]
      .filter(([id]) => pass(id))
      .map(([id, u]) => ({ id, score: dot(u, v) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
}

function sources(rule: NewArrivalRule): RankingSources {
  const unit = new Map(Object.entries(VECTORS).map(([id, v]) => [id, normalize(Float32Array.from(v))]));
  const lastAt = new Date(NOW.getTime() - 5 * DAY);
  const pairs = ['u1', 'u2', 'u3'].flatMap((userId) =>
    ['lamp', 'bulb', 'shade'].map((itemId) => ({ userId, itemId, rows: 1, lastAt })),
  );
  return {
    signals: PurchaseSignals.fromPairs(pairs, NOW),
    vectorOf: (id) => unit.get(id),
    nearest: exactSearch(unit),
    repeatHalfLifeDays: 60,
    newArrivals: rule,
  };
}

const history: HistoryItem[] = [
  { itemId: 'lamp', weight: 1, purchases: 1, lastAt: new Date(NOW.getTime() - 5 * DAY) },
];
const notLamp = (id: string) => id !== 'lamp';
const WEIGHTS = { cos: 4, pop: 2, trend: 0, knn: 0, repeat: 3, reorder: 0, newItem: 0.5 };

describe('gatherCandidates: new arrivals by the catalog dates', () => {
  const rule: NewArrivalRule = { days: 30, availableFrom: (id) => ON_SALE[id] };

  it('marks only the unsold item on sale for at most the window as new', () => {
    const set = gatherCandidates(sources(rule), history, NOW, notLamp);
    const isNew = Object.fromEntries(set.ids.map((id, i) => [id, set.isNew[i]]));
    expect(isNew).toEqual({ 'lamp-dead': 0, 'lamp-new': 1, 'lamp-soon': 0, bulb: 0, shade: 0 });
  });

  it('gives the new-arrival place to the new lamp, not to dead stock closer by text', () => {
    const set = gatherCandidates(sources(rule), history, NOW, notLamp);
    // By the blend the sold bulb and shade lead (popularity); of the unsold lamps the dead one is closest to the
    // lamp bought, and would take the second place as the best never-sold item. By date it is the new lamp.
    const shown = rankForList(set, WEIGHTS, { limit: 2, pool: 2, newItemSlots: 1 }).map((s) => set.ids[s]);
    expect(shown).toEqual(['bulb', 'lamp-new']);
  });

  it('ranks the same with cosines deferred (as serving gathers them), new arrivals included', () => {
    const shape = { limit: 2, pool: 2, newItemSlots: 1 };
    const all = gatherCandidates(sources(rule), history, NOW, notLamp);
    const deferred = gatherCandidates({ ...sources(rule), deferCosines: true }, history, NOW, notLamp);
    expect(deferred.deferred?.pending).toBeGreaterThan(0);
    expect(rankForList(deferred, WEIGHTS, shape).map((s) => deferred.ids[s])).toEqual(
      rankForList(all, WEIGHTS, shape).map((s) => all.ids[s]),
    );
  });

  it('gives the dead lamp the place on the day it came in: the moment asked decides', () => {
    const then = new Date(ON_SALE['lamp-dead'] + DAY);
    const set = gatherCandidates(sources(rule), history, then, notLamp);
    expect(set.isNew[set.ids.indexOf('lamp-dead')]).toBe(1);
    expect(set.isNew[set.ids.indexOf('lamp-new')]).toBe(0);
  });

  it('takes the place from an exhausted arrival', () => {
    const exhausted = { ...rule, exhausted: (id: string) => id === 'lamp-new' };
    const set = gatherCandidates(sources(exhausted), history, NOW, notLamp);
    expect([...set.isNew.subarray(0, set.size)]).toEqual(set.ids.map(() => 0));
  });
});

/**
 * A shopper who bought a lamp and a mug: the profile points between the two kinds. Sold items close to that
 * centre fill the few vector neighbours; the unsold mugs sit near the mug alone, far from the centre. Of them
 * one is new, one is dead stock; a sold mug besides.
 */
describe('gatherCandidates: the new-arrival source', () => {
  const vectors: Record<string, number[]> = {
    lamp: [1, 0, 0],
    mug: [0, 1, 0],
    'lamp-mug-1': [0.7, 0.7, 0.1],
    'lamp-mug-2': [0.7, 0.7, -0.1],
    'lamp-mug-3': [0.6, 0.7, 0.2],
    'mug-new': [0.1, 1, 0.2],
    'mug-new-2': [0.1, 1, 0.4],
    'mug-dead': [0.1, 1, 0.1],
    'mug-sold': [0.1, 1, 0],
  };
  const onSale: Record<string, number> = {
    'mug-new': NOW.getTime() - 2 * DAY,
    'mug-new-2': NOW.getTime() - 5 * DAY,
    'mug-dead': NOW.getTime() - 120 * DAY,
    'mug-sold': NOW.getTime() - 3 * DAY,
  };
  const unit = new Map(Object.entries(vectors).map(([id, v]) => [id, normalize(Float32Array.from(v))]));
  const lastAt = new Date(NOW.getTime() - 5 * DAY);
  const sold = ['lamp', 'mug', 'lamp-mug-1', 'lamp-mug-2', 'lamp-mug-3', 'mug-sold'];
  const signals = PurchaseSignals.fromPairs(
    ['u1', 'u2'].flatMap((userId) => sold.map((itemId) => ({ userId, itemId, rows: 1, lastAt }))),
    NOW,
  );
  const rule: NewArrivalRule = { days: 30, availableFrom: (id) => onSale[id] ?? NOW.getTime() - 400 * DAY };
  const pool = NewArrivalPool.build(
    [...unit.keys()].map((id) => [id, { availableFrom: rule.availableFrom(id)! }] as const),
    (id) => signals.buyersOf(id) > 0,
    rule.days,
    NOW.getTime(),
  );
  const source = (newArrivals: number, ids?: readonly string[]): RankingSources => ({
    signals,
    vectorOf: (id) => unit.get(id),
    nearest: exactSearch(unit),
    repeatHalfLifeDays: 60,
    newArrivals: rule,
    newArrivalIds: (nowMs) => ids ?? pool.at(nowMs),
    limits: { history: 100, vector: 3, coPurchase: 0, shelf: 0, newArrivals },
  });
  const mixed: HistoryItem[] = ['lamp', 'mug'].map((itemId) => ({ itemId, weight: 1, purchases: 1, lastAt }));
  const notOwn = (id: string) => id !== 'lamp' && id !== 'mug';
  const candidates = (src: RankingSources, pass = notOwn) => gatherCandidates(src, mixed, NOW, pass).ids;

  it('adds the new arrivals beyond the vector neighbours, marked new, and the list keeps one a place', () => {
    expect(candidates({ ...source(5), newArrivalIds: undefined })).toEqual([
      'lamp-mug-1',
      'lamp-mug-2',
      'lamp-mug-3',
    ]);
    const set = gatherCandidates(source(5), mixed, NOW, notOwn);
    expect(set.ids).toEqual(['lamp-mug-1', 'lamp-mug-2', 'lamp-mug-3', 'mug-new', 'mug-new-2']);
    expect([...set.isNew.subarray(0, set.size)]).toEqual([0, 0, 0, 1, 1]);
    const shown = rankForList(set, WEIGHTS, { limit: 3, pool: 3, newItemSlots: 1 }).map((s) => set.ids[s]);
    expect(shown).toContain('mug-new');
  });

  it('never adds dead stock or a sold item, even when offered them', () => {
    const everything = [...unit.keys()];
    expect(candidates(source(9, everything))).toEqual([
      'lamp-mug-1',
      'lamp-mug-2',
      'lamp-mug-3',
      'mug-new',
      'mug-new-2',
    ]);
  });

  it('honours the list rules and the limit, best fit first', () => {
    expect(candidates(source(5), (id) => notOwn(id) && id !== 'mug-new')).toEqual([
      'lamp-mug-1',
      'lamp-mug-2',
      'lamp-mug-3',
      'mug-new-2',
    ]);
    expect(candidates(source(1))).toEqual(['lamp-mug-1', 'lamp-mug-2', 'lamp-mug-3', 'mug-new']);
    expect(candidates(source(0))).toEqual(['lamp-mug-1', 'lamp-mug-2', 'lamp-mug-3']);
  });
});

describe('gatherCandidates: sources the blend gives no weight', () => {
  // A lamp bought with a cable by two shoppers; a mug bought by three others (the popular shelf's first item);
  // a shade closest to the lamp by text. One vector neighbour and one shelf item per list, so each source adds
  // its own candidate. Every sale is months old: the trending shelf is empty.
  const unit = new Map(
    Object.entries({ lamp: [1, 0, 0], shade: [0.9, 0.1, 0], cable: [0, 1, 0], mug: [0, 0, 1] }).map(
      ([id, v]) => [id, normalize(Float32Array.from(v))],
    ),
  );
  const lastAt = new Date(NOW.getTime() - 100 * DAY);
  const pairs = [
    ...['u1', 'u2'].flatMap((userId) =>
      ['lamp', 'cable'].map((itemId) => ({ userId, itemId, rows: 1, lastAt })),
    ),
    ...['u3', 'u4', 'u5'].map((userId) => ({ userId, itemId: 'mug', rows: 1, lastAt })),
  ];
  const src: RankingSources = {
    signals: PurchaseSignals.fromPairs(pairs, NOW),
    vectorOf: (id) => unit.get(id),
    nearest: (v, k, pass) =>
      [...unit]
        .filter(([id]) => pass(id))
        .map(([id, u]) => ({ id, score: dot(u, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, k),
    repeatHalfLifeDays: 60,
    newArrivals: { days: 30, availableFrom: () => NOW.getTime() - 400 * DAY },
    limits: { history: 10, vector: 1, coPurchase: 10, shelf: 1, newArrivals: 0 },
  };
  const gathered = (blend?: typeof WEIGHTS) => {
    const set = gatherCandidates(src, history, NOW, notLamp, blend);
    return Object.fromEntries(set.ids.map((id, i) => [id, set.knn[i]]));
  };

  it('gathers from every source without a blend, the co-purchase neighbour with its co-purchase score', () => {
    const all = gathered();
    expect(Object.keys(all).sort()).toEqual(['cable', 'mug', 'shade']);
    expect(all.cable).toBeGreaterThan(0.9);
  });

  it('adds no co-purchase neighbours, and scores none, when the blend weighs co-purchase 0', () => {
    expect(gathered({ ...WEIGHTS, knn: 0, pop: 2 })).toEqual({ shade: 0, mug: 0 });
  });

  it('leaves the popular shelf out when the blend weighs popularity 0', () => {
    const got = gathered({ ...WEIGHTS, knn: 1, pop: 0 });
    expect(Object.keys(got).sort()).toEqual(['cable', 'shade']);
    expect(got.cable).toBeGreaterThan(0.9);
  });
});
