import { PurchaseSignals } from '../ranking/purchase-signals';
import { neighbourLists } from '../ranking/testing/neighbour-lists';
import { bestSellersFirst } from './similar-lists';

describe('bestSellersFirst (the order similar lists are held in when the catalog outgrows the limit)', () => {
  const buyers: Record<string, number> = { Y: 2, A: 9, Q: 7, X: 4, B: 6 };
  const signals = new PurchaseSignals(
    Object.entries(buyers).map(([itemId, n]) => ({
      itemId,
      buyers: n,
      recentBuyers: 0,
      repeatBuyers: 0,
    })),
    // W is only a neighbour: it has a row but no buyers.
    neighbourLists({ A: [['W', 0.5]] }),
    new Date('2011-06-01T00:00:00Z'),
    neighbourLists({}),
  );
  const indexOf = (ids: string[]) => ({ ids: () => ids.values(), has: (id: string) => ids.includes(id) });

  it('gives the most bought items first, then the unsold ones in index order, each indexed item once', () => {
    // Q sold but is not indexed (deleted): it is not named. N1 and N2 have no row; W has one but no buyers.
    const index = indexOf(['N1', 'Y', 'W', 'X', 'A', 'N2', 'B']);
    expect([...bestSellersFirst(index, signals)]).toEqual(['A', 'B', 'X', 'Y', 'N1', 'W', 'N2']);
  });

  it('names every indexed item even when nothing has sold', () => {
    const index = indexOf(['N2', 'W', 'N1']);
    expect([...bestSellersFirst(index, PurchaseSignals.empty())]).toEqual(['N2', 'W', 'N1']);
  });
});
