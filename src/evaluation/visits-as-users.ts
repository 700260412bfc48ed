import type { Purchase } from './evaluation.types';

/**
 * The purchases as a shop that cannot tie one visit to the next sends them: each invoice (with --item-sequences
 * each original invoice, whose items became `invoice#n`) under a user of its own. Such a shop's validation window
 * has almost no shopper who bought both before and in it; the session protocol, asked by items alone, still
 * compares.
 */
export function visitsAsUsers(purchases: readonly Purchase[]): Purchase[] {
  return purchases.map((p) => ({ ...p, userId: `${p.userId}/${p.invoiceNo.split('#')[0]}` }));
}
