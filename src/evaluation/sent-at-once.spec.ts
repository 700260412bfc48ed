import type { Purchase } from './evaluation.types';
import { SENT_AT_ONCE_MS, sentAtOnce } from './sent-at-once';

const purchase = (eventId: string, userId: string, at: string): Purchase => ({
  eventId,
  userId,
  itemId: `item-${eventId}`,
  invoiceNo: eventId,
  timestamp: new Date(at),
  quantity: 1,
});

describe('sentAtOnce', () => {
  const end = new Date('2011-11-01T00:00:00Z');
  const history = [
    purchase('a', 'u1', '2010-12-01T08:26:00Z'),
    purchase('b', 'u1', '2010-12-01T08:26:00Z'),
    purchase('c', 'u2', '2011-03-15T12:00:00Z'),
    purchase('d', 'u1', '2011-10-31T17:00:00Z'),
  ];

  it('puts a year of history within the hour before the end, first and last at its edges', () => {
    const out = sentAtOnce(history, end).map((p) => p.timestamp.getTime());
    expect(out[0]).toBe(end.getTime() - SENT_AT_ONCE_MS);
    expect(out[3]).toBe(end.getTime() - 1);
    expect(Math.max(...out) - Math.min(...out)).toBeLessThan(SENT_AT_ONCE_MS);
  });

  it('keeps the order, the baskets (one instant) and everything but the time', () => {
    const out = sentAtOnce(history, end);
    expect(out[0].timestamp.getTime()).toBe(out[1].timestamp.getTime());
    expect(out[1].timestamp.getTime()).toBeLessThan(out[2].timestamp.getTime());
    expect(out[2].timestamp.getTime()).toBeLessThan(out[3].timestamp.getTime());
    expect(out.map(({ timestamp: _t, ...rest }) => rest)).toEqual(
      history.map(({ timestamp: _t, ...rest }) => rest),
    );
  });

  it('sends a single instant at the start of the hour, and nothing for nothing', () => {
    expect(sentAtOnce(history.slice(0, 2), end).map((p) => p.timestamp.getTime())).toEqual([
      end.getTime() - SENT_AT_ONCE_MS,
      end.getTime() - SENT_AT_ONCE_MS,
    ]);
    expect(sentAtOnce([], end)).toEqual([]);
  });
});
