import { PurchaseSignals } from '../ranking/purchase-signals';
import { neighbourLists as lists } from '../ranking/testing/neighbour-lists';
import {
  MIN_FIRST_BASKET_CASES,
  MIN_VISIT_CASES,
  tuneSessions,
  validationSession,
  VALIDATION_SESSION_ITEMS,
  visitSessionCases,
  windowSessionCases,
  type SessionGateInput,
} from './session-gate';

const at = (minute: number) => new Date(Date.UTC(2011, 0, 1, 10, minute));
const buy = (itemId: string, minute: number) => ({ userId: 'u', itemId, timestamp: at(minute), weight: 1 });

describe('validation sessions of the gate', () => {
  it('is the last basket (one timestamp) when it holds more than one item', () => {
    const history = [buy('a', 0), buy('b', 0), buy('c', 5), buy('d', 5), buy('c', 5)];
    expect(validationSession(history)).toEqual(['d', 'c']);
  });

  it('is the last purchases, up to ten distinct items, when they come one at a time', () => {
    const ids = Array.from({ length: 14 }, (_, i) => `i${i}`);
    const history = [...ids.map((id, i) => buy(id, i)), buy('i3', 20)];
    const session = validationSession(history);
    expect(session).toHaveLength(VALIDATION_SESSION_ITEMS);
    // i3 again last: it moves to the end, and the ten most recent distinct items remain.
    expect(session).toEqual(['i5', 'i6', 'i7', 'i8', 'i9', 'i10', 'i11', 'i12', 'i13', 'i3']);
  });

  it('is empty without history', () => {
    expect(validationSession([])).toEqual([]);
  });
});

describe('session cases from inside the validation window', () => {
  const of = (userId: string, itemId: string, minute: number) => ({ ...buy(itemId, minute), userId });
  const start = at(30);

  it('makes a case of each later basket in the window, from everything bought before it', () => {
    const purchases = [
      of('u', 'a', 0),
      of('u', 'b', 0),
      // The first basket in the window: the case every validation user gives already, not one of these.
      of('u', 'c', 31),
      of('u', 'd', 31),
      of('u', 'e', 40),
      of('u', 'c', 40),
      of('u', 'f', 50),
    ];
    expect(windowSessionCases(purchases, start)).toEqual([
      // The basket before minute 40 is {c, d}; c is in the session, so only e is a target.
      { session: ['c', 'd'], targets: ['e'] },
      { session: ['e', 'c'], targets: ['f'] },
    ]);
  });

  it('needs no purchase before the window: a one-visit shopper of single steps gives cases', () => {
    const purchases = [of('v', 'x', 35), of('v', 'y', 36), of('v', 'z', 37)];
    expect(windowSessionCases(purchases, start)).toEqual([
      { session: ['x'], targets: ['y'] },
      { session: ['x', 'y'], targets: ['z'] },
    ]);
  });

  it('takes at most perUser cases a user, the earliest, users in id order', () => {
    const steps = (userId: string) =>
      Array.from({ length: 8 }, (_, i) => of(userId, `${userId}${i}`, 31 + i));
    const cases = windowSessionCases([...steps('w'), ...steps('b')], start, 2);
    expect(cases.map((c) => c.targets)).toEqual([['b1'], ['b2'], ['w1'], ['w2']]);
  });

  it('leaves out a basket whose items are all in its session, and shoppers with one basket in the window', () => {
    const purchases = [of('u', 'a', 31), of('u', 'a', 32), of('s', 'q', 0), of('s', 'r', 33)];
    expect(windowSessionCases(purchases, start)).toEqual([]);
  });
});

describe('next-step cases inside the visits of the validation window', () => {
  const start = at(30);
  const step = (userId: string, itemId: string, minute: number, extra: object = {}) => ({
    ...buy(itemId, minute),
    userId,
    ...extra,
  });

  it('asks every step after the first of a visit, with the visit so far as the session', () => {
    const purchases = [
      step('u', 'old', 0), // before the window: not part of any case
      step('u', 'a', 31),
      step('u', 'b', 32),
      step('u', 'a', 33), // already in the session: no target left
      step('u', 'c', 34),
    ];
    expect(visitSessionCases(purchases, start)).toEqual([
      { session: ['a'], targets: ['b'] },
      // a, looked at again, is the session's latest item.
      { session: ['b', 'a'], targets: ['c'] },
    ]);
  });

  it('cuts visits where more than VISIT_GAP_MS passes, and by sessionId where steps carry one', () => {
    const byGap = [step('u', 'a', 31), step('u', 'b', 32), step('u', 'c', 32 + 31), step('u', 'd', 32 + 32)];
    expect(visitSessionCases(byGap, start)).toEqual([
      { session: ['a'], targets: ['b'] },
      { session: ['c'], targets: ['d'] },
    ]);
    const bySession = [
      step('u', 'a', 31, { single: true, sessionId: 's1' }),
      step('u', 'b', 32, { single: true, sessionId: 's2' }),
      step('u', 'c', 33, { single: true, sessionId: 's2' }),
    ];
    expect(visitSessionCases(bySession, start)).toEqual([{ session: ['b'], targets: ['c'] }]);
  });

  it('takes the events of one instant as one step, single ones too: their order is not known', () => {
    const basket = [step('u', 'a', 31), step('u', 'b', 31), step('u', 'c', 35)];
    expect(visitSessionCases(basket, start)).toEqual([{ session: ['a', 'b'], targets: ['c'] }]);
    const views = [step('u', 'x', 31, { single: true }), step('u', 'y', 31, { single: true })];
    expect(visitSessionCases(views, start)).toEqual([]);
  });

  it('keeps the last ten distinct items of a long visit as the session', () => {
    const purchases = Array.from({ length: 13 }, (_, i) => step('u', `i${i}`, 31 + i));
    const cases = visitSessionCases(purchases, start);
    expect(cases).toHaveLength(12);
    expect(cases[11]).toEqual({
      session: Array.from({ length: 10 }, (_, i) => `i${i + 2}`),
      targets: ['i12'],
    });
  });
});

describe('the session kind of the gate', () => {
  // A after-which T is bought (transitions); A's co-purchase neighbour is C, which nobody takes next.
  const signals = new PurchaseSignals(
    ['A', 'C', 'T'].map((itemId) => ({ itemId, buyers: 3, recentBuyers: 0, repeatBuyers: 0 })),
    lists({ A: [['C', 0.9]] }),
    at(0),
    lists({ A: [['T', 0.4]] }),
  );
  const input = (users: number, windowCases: number): SessionGateInput => ({
    sources: { signals, vectorOf: () => undefined, nearest: () => [] },
    users: Array.from({ length: users }, () => ({ history: [buy('A', 0)], targets: new Set(['T']) })),
    windowCases: Array.from({ length: windowCases }, () => ({ session: ['A'], targets: ['T'] })),
    known: () => true,
    at: at(30),
    newArrivals: { days: 30, availableFrom: () => undefined },
    newItemSlots: 0,
    newItemShare: 1,
  });

  it("tunes on the window's cases too where few shoppers came back across its start", () => {
    const few = tuneSessions(input(2, 5));
    expect(few.cases).toBe(7);
    // Every case's next item is A's successor, not its co-purchase neighbour: the tuned blend ranks it first.
    expect(few.ndcg).toBe(1);
    expect(few.weights.trans + few.weights.transRecent).toBeGreaterThan(0);
  });

  it('tunes on the first-basket cases alone where there are enough of them', () => {
    expect(tuneSessions(input(MIN_FIRST_BASKET_CASES, 5)).cases).toBe(MIN_FIRST_BASKET_CASES);
  });

  it("has the window's cases alone to go on where no shopper came back", () => {
    expect(tuneSessions(input(0, 4)).cases).toBe(4);
  });

  it('tunes on the next-step cases inside visits where there are enough of them', () => {
    // The first-basket cases' next item is A's co-purchase neighbour C; three times as many in-visit cases take
    // A's successor T, which the tuned blend then ranks first: (900 · 1 + 300 · 1/log2(3)) / 1200.
    const users = Array.from({ length: MIN_FIRST_BASKET_CASES }, () => ({
      history: [buy('A', 0)],
      targets: new Set(['C']),
    }));
    const visitCases = Array.from({ length: 3 * MIN_FIRST_BASKET_CASES }, () => ({
      session: ['A'],
      targets: ['T'],
    }));
    const both = tuneSessions({ ...input(0, 0), users, visitCases });
    expect(both.cases).toBe(4 * MIN_FIRST_BASKET_CASES);
    expect(both.ndcg).toBeCloseTo((900 + 300 / Math.log2(3)) / 1200, 10);
    expect(both.weights.trans + both.weights.transRecent).toBeGreaterThan(0);
    // Fewer than MIN_VISIT_CASES (a shop of baskets) are left out: the first-basket cases decide alone, C first.
    const few = tuneSessions({ ...input(0, 0), users, visitCases: visitCases.slice(0, MIN_VISIT_CASES - 1) });
    expect(few.cases).toBe(MIN_FIRST_BASKET_CASES);
    expect(few.ndcg).toBe(1);
  });
});
