import { withCustomerShare } from './customer-share';
import type { Purchase } from './evaluation.types';

function purchase(userId: string, itemId: string, k: number): Purchase {
  return {
    eventId: `${userId}:${k}`,
    userId,
    itemId,
    invoiceNo: `${userId}-${k}`,
    timestamp: new Date(Date.UTC(2011, 0, 1 + k)),
    quantity: 1,
  };
}

describe('withCustomerShare', () => {
  // 1,000 customers with three purchases each.
  const all: Purchase[] = [];
  for (let u = 0; u < 1000; u++)
    for (let k = 0; k < 3; k++) all.push(purchase(`c${u}`, `i${(u + k) % 50}`, k));
  const customers = (ps: readonly Purchase[]) => new Set(ps.map((p) => p.userId));

  it('keeps about the share of the customers, each with every purchase', () => {
    const kept = withCustomerShare(all, 0.2);
    const users = customers(kept);
    expect(users.size).toBeGreaterThan(160);
    expect(users.size).toBeLessThan(240);
    expect(kept.length).toBe(users.size * 3);
  });

  it('keeps the same customers on every run, a smaller share a subset of a larger one', () => {
    const small = customers(withCustomerShare(all, 0.1));
    const large = customers(withCustomerShare(all, 0.3));
    expect(customers(withCustomerShare(all, 0.1))).toEqual(small);
    expect([...small].filter((u) => !large.has(u))).toEqual([]);
    expect(large.size).toBeGreaterThan(small.size);
  });

  it('keeps everything at 1 and refuses a share outside (0, 1]', () => {
    expect(withCustomerShare(all, 1)).toEqual(all);
    expect(() => withCustomerShare(all, 0)).toThrow(/share/);
    expect(() => withCustomerShare(all, 1.5)).toThrow(/share/);
  });
});
