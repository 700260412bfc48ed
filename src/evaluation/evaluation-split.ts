import type { EvaluationSplit, Purchase, TestUser, TestVisit } from './evaluation.types';
import { compareIds } from '../ranking/ids';

export const DEFAULT_CUTOFF = new Date('2011-11-01T00:00:00Z');

/**
 * Splits purchases at the cutoff per docs/evaluation.md. Anything at or after the cutoff is reachable only
 * through `testUsers[].target*`, so code that trains on `training`/`historyByUser` cannot peek at the future.
 */
export function split(purchases: readonly Purchase[], cutoff: Date = DEFAULT_CUTOFF): EvaluationSplit {
  const cutoffMs = cutoff.getTime();
  const training: Purchase[] = [];
  const historyByUser = new Map<string, Purchase[]>();
  // Post-cutoff lines grouped per user and invoice. An invoice is one basket even when its lines carry different
  // minutes (e.g. 576057 spans 15:05 and 15:06), so it is dated by its earliest line and kept whole.
  const invoicesAfter = new Map<string, Map<string, { time: number; lines: Purchase[] }>>();

  for (const purchase of purchases) {
    const time = purchase.timestamp.getTime();
    if (time < cutoffMs) {
      training.push(purchase);
      let history = historyByUser.get(purchase.userId);
      if (!history) historyByUser.set(purchase.userId, (history = []));
      history.push(purchase);
      continue;
    }
    let invoices = invoicesAfter.get(purchase.userId);
    if (!invoices)
      invoicesAfter.set(purchase.userId, (invoices = new Map<string, { time: number; lines: Purchase[] }>()));
    const invoice = invoices.get(purchase.invoiceNo);
    if (!invoice) invoices.set(purchase.invoiceNo, { time, lines: [purchase] });
    else {
      invoice.time = Math.min(invoice.time, time);
      invoice.lines.push(purchase);
    }
  }

  for (const history of historyByUser.values()) {
    // Array.prototype.sort is stable, so equal timestamps keep input order.
    history.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  const testUsers: TestUser[] = [];
  for (const [userId, invoices] of [...invoicesAfter].sort(([a], [b]) => compareIds(a, b))) {
    const history = historyByUser.get(userId);
    if (!history) continue; // a new customer: nothing to recommend from, so not a test user
    let firstNo = '';
    let first: { time: number; lines: Purchase[] } | undefined;
    for (const [invoiceNo, invoice] of invoices) {
      if (
        !first ||
        invoice.time < first.time ||
        (invoice.time === first.time && compareIds(invoiceNo, firstNo) < 0)
      ) {
        first = invoice;
        firstNo = invoiceNo;
      }
    }
    if (!first) continue;
    testUsers.push({
      userId,
      history,
      targetInvoiceNo: firstNo,
      targetTimestamp: new Date(first.time),
      target: [...new Set(first.lines.map((line) => line.itemId))].sort(compareIds),
    });
  }
  return {
    cutoff: new Date(cutoffMs),
    training,
    historyByUser,
    testUsers,
    testVisits: firstVisits(invoicesAfter),
  };
}

/**
 * Each user's first visit after the cutoff (earliest line, then invoice number). An invoice `X#n` (asItemSequences
 * split invoice X into its items) belongs to visit X: a visit is what the shopper did in one go.
 */
function firstVisits(
  invoicesAfter: ReadonlyMap<string, ReadonlyMap<string, { time: number; lines: Purchase[] }>>,
): TestVisit[] {
  const visits: TestVisit[] = [];
  for (const [userId, invoices] of [...invoicesAfter].sort(([a], [b]) => compareIds(a, b))) {
    const byVisit = new Map<string, { time: number; lines: Purchase[] }>();
    for (const [invoiceNo, invoice] of invoices) {
      const visitNo = invoiceNo.split('#')[0];
      const visit = byVisit.get(visitNo);
      if (!visit) byVisit.set(visitNo, { time: invoice.time, lines: [...invoice.lines] });
      else {
        visit.time = Math.min(visit.time, invoice.time);
        visit.lines.push(...invoice.lines);
      }
    }
    let first: [string, { time: number; lines: Purchase[] }] | undefined;
    for (const entry of byVisit) {
      if (
        !first ||
        entry[1].time < first[1].time ||
        (entry[1].time === first[1].time && compareIds(entry[0], first[0]) < 0)
      )
        first = entry;
    }
    if (!first) continue;
    // Stable: lines at one instant keep the file's order.
    const lines = first[1].lines.slice().sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    visits.push({ userId, invoiceNo: first[0], lines });
  }
  return visits;
}
