import { PurchaseSignals } from '../ranking/purchase-signals';
import { neighbourLists } from '../ranking/testing/neighbour-lists';
import { bestSellersFirst } from './similar-lists';

describe('bestSellersFirst (the order similar lists are held in when the catalog outgrows the limit)', () => {
  const signals = new PurchaseSignals(
    [
      { itemId: 'Y', buyers: 2, recentBuyers: 0, repeatBuyers: 0 },
      { itemId: 'A', buyers: 9, recentBuyers: 0, repeatBuyers: 0 },
      { itemId: 'Q', buyers: 7, recentBuyers: 0, repeatBuyers: 0 },
      { itemId: 'X', buyers: 4, recentBuyers: 3, repeatBuyers: 0 },
      { itemId: 'B', buyers: 6, recentBuyers: 0, repeatBuyers: 0 },
      { itemId: 'R', buyers: 0, recentBuyers: 2, repeatBuyers: 0 },
    ],
    // W is only a neighbour: it has a row but no buyers.
    neighbourLists({ A: [['W', 0.5]] }),
    new Date('2011-06-01T00:00:00Z'),
    neighbourLists({}),
  );
  const indexOf = (ids: string[]) => ({ ids: () => ids.values(), has: (id: string) => ids.includes(id) });

  it('gives the most bought items first, then the unsold ones in index order, each indexed item once', () => {
    // Q sold but is not indexed (deleted): it is not named. N1 and N2 have no row; W and R have rows but no buyers.
    const index = indexOf(['N1', 'Y', 'W', 'X', 'R', 'A', 'N2', 'B']);
    expect([...bestSellersFirst(index, signals)]).toEqual(['A', 'B', 'X', 'Y', 'N1', 'W', 'R', 'N2']);
  });

  it('names every indexed item even when nothing has sold', () => {
    const index = indexOf(['N2', 'W', 'N1']);
    expect([...bestSellersFirst(index, PurchaseSignals.empty())]).toEqual(['N2', 'W', 'N1']);
  });
});
