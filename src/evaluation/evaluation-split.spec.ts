import { DEFAULT_CUTOFF, split } from './evaluation-split';
import type { Purchase } from './evaluation.types';

let sequence = 0;
function purchase(userId: string, itemId: string, invoiceNo: string, time: string): Purchase {
  return {
    eventId: `e${sequence++}`,
    userId,
    itemId,
    invoiceNo,
    timestamp: new Date(`${time}Z`),
    quantity: 1,
  };
}

describe('split', () => {
  const purchases: Purchase[] = [
    // u1: history, then two invoices at the same minute after the cutoff; the lower InvoiceNo wins.
    purchase('u1', 'A', '100', '2011-10-02T10:00:00'),
    purchase('u1', 'B', '090', '2011-09-01T10:00:00'),
    purchase('u1', 'C', '301', '2011-11-05T09:00:00'),
    purchase('u1', 'D', '300', '2011-11-05T09:00:00'),
    purchase('u1', 'D', '300', '2011-11-05T09:00:00'),
    purchase('u1', 'E', '200', '2011-11-20T09:00:00'),
    // u2: an event exactly at the cutoff belongs to the test period.
    purchase('u2', 'A', '101', '2011-10-31T23:59:59'),
    purchase('u2', 'F', '400', '2011-11-01T00:00:00'),
    // u3: one invoice whose lines straddle a minute; it stays one basket, listed late line first.
    purchase('u3', 'A', '102', '2011-10-01T08:00:00'),
    purchase('u3', 'G', '500', '2011-11-02T15:06:00'),
    purchase('u3', 'H', '500', '2011-11-02T15:05:00'),
    purchase('u3', 'I', '501', '2011-11-02T15:05:30'),
    // u4: only after the cutoff (new customer); u5: only before.
    purchase('u4', 'A', '600', '2011-11-03T10:00:00'),
    purchase('u5', 'B', '103', '2011-02-01T10:00:00'),
  ];
  const result = split(purchases);

  it('uses 2011-11-01 00:00 UTC as the default cutoff', () => {
    expect(DEFAULT_CUTOFF.toISOString()).toBe('2011-11-01T00:00:00.000Z');
    expect(result.cutoff.getTime()).toBe(DEFAULT_CUTOFF.getTime());
  });

  it('trains on strictly pre-cutoff events only', () => {
    expect(result.training.map((p) => `${p.userId}:${p.itemId}`)).toEqual([
      'u1:A',
      'u1:B',
      'u2:A',
      'u3:A',
      'u5:B',
    ]);
    expect(result.training.every((p) => p.timestamp < DEFAULT_CUTOFF)).toBe(true);
  });

  it('keeps every pre-cutoff history, oldest first', () => {
    expect([...result.historyByUser.keys()].sort()).toEqual(['u1', 'u2', 'u3', 'u5']);
    expect(result.historyByUser.get('u1')?.map((p) => p.itemId)).toEqual(['B', 'A']);
  });

  it('selects users active on both sides of the cutoff', () => {
    expect(result.testUsers.map((u) => u.userId)).toEqual(['u1', 'u2', 'u3']);
  });

  it('targets the distinct items of the first post-cutoff invoice, ties by InvoiceNo', () => {
    const [u1, u2, u3] = result.testUsers;
    expect(u1.targetInvoiceNo).toBe('300');
    expect(u1.target).toEqual(['D']);
    expect(u1.history.map((p) => p.itemId)).toEqual(['B', 'A']);
    expect(u2.target).toEqual(['F']);
    expect(u2.targetTimestamp.toISOString()).toBe('2011-11-01T00:00:00.000Z');
    expect(u3.targetInvoiceNo).toBe('500');
    expect(u3.target).toEqual(['G', 'H']);
    expect(u3.targetTimestamp.toISOString()).toBe('2011-11-02T15:05:00.000Z');
  });

  it('honours a custom cutoff', () => {
    const early = split(purchases, new Date('2011-10-01T00:00:00Z'));
    expect(early.training.map((p) => p.itemId)).toEqual(['B', 'B']);
    expect(early.testUsers.map((u) => [u.userId, u.targetInvoiceNo])).toEqual([['u1', '100']]);
  });
});
