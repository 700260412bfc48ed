import { normalize } from '../common/vectors';
import { gatherCandidates, type HistoryItem, type RankingSources } from './candidates';
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

function sources(rule: NewArrivalRule): RankingSources {
  const unit = new Map(Object.entries(VECTORS).map(([id, v]) => [id, normalize(Float32Array.from(v))]));
  const lastAt = new Date(NOW.getTime() - 5 * DAY);
  const pairs = ['u1', 'u2', 'u3'].flatMap((userId) =>
    ['lamp', 'bulb', 'shade'].map((itemId) => ({ userId, itemId, rows: 1, lastAt })),
  );
  return {
    signals: PurchaseSignals.fromPairs(pairs, NOW),
    vectorOf: (id) => unit.get(id),
    nearest: (v, k, pass) =>
      [...unit]
        .filter(([id]) => pass(id))
        .map(([id, u]) => ({ id, score: u.reduce((s, x, j) => s + x * v[j], 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, k),
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
