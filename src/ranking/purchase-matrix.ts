import { compareIds } from './ids';

/** Who bought what, and nothing else: the binary user×item matrix behind popularity and item-kNN. */
export interface PurchaseEvent {
  userId: string;
  itemId: string;
}

/**
 * The binary user×item purchase matrix, with the counts every consumer needs: co-purchase neighbours in
 * production, popularity and the baselines offline.
 */
export interface PurchaseMatrix {
  /** Items with at least one purchase, ascending id: index order is tie-break order. */
  itemIds: readonly string[];
  itemIndex: ReadonlyMap<string, number>;
  /** Distinct buyers per item index. */
  distinctBuyers: Int32Array;
  /** Item ids by distinct buyers descending, then id ascending: the pop baseline and everyone's fill-up. */
  popularity: readonly string[];
  /** Distinct item indices per user, ascending. */
  userItems: ReadonlyMap<string, Int32Array>;
}

export function buildPurchaseMatrix(training: readonly PurchaseEvent[]): PurchaseMatrix {
  const itemIds = [...new Set(training.map((purchase) => purchase.itemId))].sort(compareIds);
  const itemIndex = new Map<string, number>(itemIds.map((id, index) => [id, index]));

  const itemSets = new Map<string, Set<number>>();
  for (const purchase of training) {
    let items = itemSets.get(purchase.userId);
    if (!items) itemSets.set(purchase.userId, (items = new Set()));
    items.add(itemIndex.get(purchase.itemId) ?? -1);
  }

  const distinctBuyers = new Int32Array(itemIds.length);
  const userItems = new Map<string, Int32Array>();
  for (const [userId, items] of itemSets) {
    const sorted = Int32Array.from(items).sort();
    userItems.set(userId, sorted);
    for (const index of sorted) distinctBuyers[index]++;
  }

  const popularity = itemIds
    .map((_, index) => index)
    .sort((a, b) => distinctBuyers[b] - distinctBuyers[a] || a - b)
    .map((index) => itemIds[index]);
  return { itemIds, itemIndex, distinctBuyers, popularity, userItems };
}
