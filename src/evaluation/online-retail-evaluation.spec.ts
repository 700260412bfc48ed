import type { OnlineRetailData, OnlineRetailItem, Purchase } from '../online-retail/online-retail.types';
import { split } from './evaluation-split';
import { longUnsoldItems, newArrivalItems } from './online-retail-evaluation';

const item = (id: string, from: string): OnlineRetailItem => ({
  id,
  title: id,
  price: 1,
  availableFrom: new Date(`${from}T00:00:00Z`),
});
const buy = (itemId: string, at: string): Purchase => ({
  eventId: `e-${itemId}-${at}`,
  userId: 'u1',
  itemId,
  invoiceNo: at,
  timestamp: new Date(`${at}T10:00:00Z`),
  quantity: 1,
});

describe('the catalog dates the evaluation reports on (cutoff 2011-11-01)', () => {
  const data: OnlineRetailData = {
    items: [
      item('sold-old', '2011-01-01'),
      item('sold-new', '2011-10-20'),
      item('first-sale-after', '2011-10-15'),
      item('not-yet', '2011-11-10'),
    ],
    // Sold only to guests: in the catalog, never in the purchases.
    unsold: [item('dead', '2011-05-01'), item('fresh', '2011-10-02'), item('stale', '2011-09-20')],
    purchases: [
      buy('sold-old', '2011-06-01'),
      buy('sold-new', '2011-10-25'),
      buy('first-sale-after', '2011-11-03'),
      buy('not-yet', '2011-11-12'),
    ],
  };
  const evaluationSplit = split(data.purchases);

  it('names as new arrivals the unsold items on sale for at most 30 days at the cutoff', () => {
    // fresh: 30 days before the cutoff; stale: 42 days, neither arrival nor dead stock yet; not-yet: after it.
    expect([...newArrivalItems(data, evaluationSplit)].sort()).toEqual(['first-sale-after', 'fresh']);
  });

  it('names as long unsold the unsold items on sale for 60 days or more', () => {
    expect([...longUnsoldItems(data, evaluationSplit)].sort()).toEqual(['dead']);
  });
});
