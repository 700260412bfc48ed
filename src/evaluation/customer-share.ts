import { hashPoint } from '../common/random';
import type { Purchase } from './evaluation.types';

/**
 * The purchases of a fixed pick of about `share` of the customers, each kept whole: a smaller shop with the
 * same catalog, the same seasons and the same kind of baskets. The pick hashes each customer id (hashPoint),
 * so every run and every share keeps the same customers, and a smaller share keeps a subset of a larger one's.
 * Products only the dropped customers bought stay in the catalog as the small shop's unsold stock.
 */
export function withCustomerShare(purchases: readonly Purchase[], share: number): Purchase[] {
  if (!(share > 0 && share <= 1)) throw new Error(`a customer share is a fraction in (0, 1], not ${share}`);
  if (share === 1) return [...purchases];
  const kept = new Map<string, boolean>();
  return purchases.filter((p) => {
    let keep = kept.get(p.userId);
    if (keep === undefined) {
      keep = hashPoint('customer-share', p.userId) < share;
      kept.set(p.userId, keep);
    }
    return keep;
  });
}
