import { asItemSequences, SEQUENCE_STEP_MS } from './item-sequences';
import type { Purchase } from './evaluation.types';

function line(invoiceNo: string, itemId: string, at: string, userId = 'u1'): Purchase {
  return {
    eventId: `${invoiceNo}:${itemId}`,
    userId,
    itemId,
    invoiceNo,
    timestamp: new Date(at),
    quantity: 1,
  };
}

describe('asItemSequences', () => {
  it('turns each invoice into its distinct items one step apart, in line order, each its own invoice', () => {
    const out = asItemSequences([
      line('1', 'B', '2011-10-01T10:00:00Z'),
      line('1', 'A', '2011-10-01T10:00:00Z'),
      line('1', 'B', '2011-10-01T10:00:00Z'),
      line('2', 'C', '2011-10-02T09:00:00Z', 'u2'),
      line('1', 'D', '2011-10-01T10:01:00Z'),
    ]);
    expect(out.map((p) => [p.userId, p.itemId, p.invoiceNo, p.timestamp.toISOString()])).toEqual([
      ['u1', 'B', '1#0', '2011-10-01T10:00:00.000Z'],
      ['u1', 'A', '1#1', new Date(Date.parse('2011-10-01T10:00:00Z') + SEQUENCE_STEP_MS).toISOString()],
      ['u2', 'C', '2#0', '2011-10-02T09:00:00.000Z'],
      // A line entered a minute later keeps its own minute, shifted by its place in the invoice.
      ['u1', 'D', '1#2', new Date(Date.parse('2011-10-01T10:01:00Z') + 2 * SEQUENCE_STEP_MS).toISOString()],
    ]);
    // The repeated B was dropped, not renumbered: event ids stay those of the kept lines.
    expect(out.map((p) => p.eventId)).toEqual(['1:B', '1:A', '2:C', '1:D']);
  });
});
