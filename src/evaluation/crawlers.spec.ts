import { CRAWLER_DAYS, withCrawlers } from './crawlers';
import { split } from './evaluation-split';
import type { Purchase } from './evaluation.types';

const CUTOFF = new Date('2011-11-01T00:00:00Z');

const line = (invoiceNo: string, itemId: string, userId: string, at: string): Purchase => ({
  eventId: `${invoiceNo}:${itemId}`,
  userId,
  itemId,
  invoiceNo,
  timestamp: new Date(at),
  quantity: 1,
});

const file = [
  line('1', 'A', 'u1', '2011-09-01T10:00:00Z'),
  line('1', 'B', 'u1', '2011-09-01T10:00:00Z'),
  line('2', 'C', 'u2', '2011-10-01T10:00:00Z'),
  line('3', 'D', 'u2', '2011-10-02T10:00:00Z'),
  line('4', 'E', 'u1', '2011-11-05T10:00:00Z'),
];

describe('withCrawlers', () => {
  it('adds accounts of distinct catalog items, all bought before the cutoff, so none is a test user', () => {
    const out = withCrawlers(file, 2, CUTOFF, 3);
    const added = out.filter((p) => p.userId.startsWith('crawler-'));
    expect(out.length).toBe(file.length + 6);
    for (const account of ['crawler-0', 'crawler-1']) {
      const items = added.filter((p) => p.userId === account).map((p) => p.itemId);
      expect(items).toHaveLength(3);
      expect(new Set(items).size).toBe(3);
      for (const id of items) expect(['A', 'B', 'C', 'D', 'E']).toContain(id);
    }
    for (const p of added) {
      expect(p.timestamp.getTime()).toBeLessThan(CUTOFF.getTime());
      expect(p.timestamp.getTime()).toBeGreaterThanOrEqual(CUTOFF.getTime() - CRAWLER_DAYS * 86_400_000);
    }
    // Every line of the file is kept, and the lines come in time order.
    expect(out.filter((p) => !p.userId.startsWith('crawler-'))).toEqual(file);
    for (let i = 1; i < out.length; i++)
      expect(out[i].timestamp.getTime()).toBeGreaterThanOrEqual(out[i - 1].timestamp.getTime());
    const s = split(out, CUTOFF);
    expect(s.testUsers.map((u) => u.userId)).toEqual(['u1']);
    expect(s.training.filter((p) => p.userId.startsWith('crawler-'))).toHaveLength(6);
  });

  it('adds the same accounts every run, and at most the whole catalog each', () => {
    expect(withCrawlers(file, 3, CUTOFF, 4)).toEqual(withCrawlers(file, 3, CUTOFF, 4));
    const whole = withCrawlers(file, 1, CUTOFF, 50).filter((p) => p.userId === 'crawler-0');
    expect(whole.map((p) => p.itemId).sort()).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(withCrawlers(file, 0, CUTOFF)).toEqual(file);
  });
});
