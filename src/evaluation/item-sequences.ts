import type { Purchase } from './evaluation.types';

/** How far apart the items of one invoice are put when it is read as a sequence. */
export const SEQUENCE_STEP_MS = 1000;

/**
 * The file read as a shop whose purchases come one item at a time (a click or a one-product order): every
 * invoice's distinct items become consecutive single-item purchases, in the order of their lines, a second
 * apart, each its own "invoice". The split then targets each test user's next single item, transitions are
 * learned item to item, and the fine-tune sees single-item baskets: the shape of sequence data (public
 * e-commerce logs such as review or click streams) rather than of a wholesaler's invoices. A stock code on two
 * lines of one invoice is kept once, at its first line.
 */
export function asItemSequences(purchases: readonly Purchase[]): Purchase[] {
  const position = new Map<string, number>();
  const seen = new Set<string>();
  const out: Purchase[] = [];
  for (const p of purchases) {
    const line = `${p.invoiceNo}\u0000${p.itemId}`;
    if (seen.has(line)) continue;
    seen.add(line);
    const n = position.get(p.invoiceNo) ?? 0;
    position.set(p.invoiceNo, n + 1);
    out.push({
      ...p,
      invoiceNo: `${p.invoiceNo}#${n}`,
      timestamp: new Date(p.timestamp.getTime() + n * SEQUENCE_STEP_MS),
    });
  }
  return out;
}
