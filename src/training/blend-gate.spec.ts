import { NeighbourLists } from '../ranking/neighbour-lists';
import { PurchaseSignals } from '../ranking/purchase-signals';
import { gateSignals, userHistories } from './blend-gate';
import type { Interaction } from './model/training-pairs';

const day = (d: number) => new Date(Date.UTC(2011, 0, d));
const buy = (userId: string, itemId: string, d: number): Interaction => ({
  userId,
  itemId,
  timestamp: day(d),
});

describe('gateSignals', () => {
  // u1 and u2 buy A with C in one basket, then B in the next; u3 buys C alone.
  const history = [
    buy('u1', 'A', 1),
    buy('u1', 'C', 1),
    buy('u1', 'B', 2),
    buy('u2', 'A', 3),
    buy('u2', 'C', 3),
    buy('u2', 'B', 4),
    buy('u3', 'C', 5),
  ];
  const buyers = { damping: 1, maxItems: 5000 };
  const wire = gateSignals(history, day(10), buyers);
  // As a gate thread makes it, after a structured clone.
  const copy = structuredClone(wire);
  const signals = new PurchaseSignals(
    copy.counts,
    NeighbourLists.fromWire(copy.lists),
    new Date(copy.asOf),
    NeighbourLists.fromWire(copy.transitions),
  );

  it('counts buyers, co-purchase neighbours and transitions as of the window start, across a thread', () => {
    expect(['A', 'B', 'C'].map((id) => signals.buyersOf(id))).toEqual([2, 2, 3]);
    expect(signals.neighboursOf('A').ids).toContain('C');
    expect(signals.transitionsOf('A').ids).toEqual(['B']);
    expect(signals.transitionsOf('B').ids).toEqual([]);
    expect(copy.asOf).toBe(day(10).getTime());
  });
});

describe('userHistories', () => {
  it("keeps only the asked users' purchases, in the history's order, and leaves out users with none", () => {
    const history = [buy('u1', 'A', 2), buy('u2', 'B', 1), buy('u1', 'C', 1)];
    expect(userHistories(history, [{ userId: 'u1' }, { userId: 'u9' }])).toEqual([
      ['u1', [history[0], history[2]]],
    ]);
  });
});
