import { asItemSequences } from './item-sequences';
import type { Purchase } from './evaluation.types';
import { visitsAsUsers } from './visits-as-users';

const line = (invoiceNo: string, itemId: string, userId: string): Purchase => ({
  eventId: `${invoiceNo}:${itemId}`,
  userId,
  itemId,
  invoiceNo,
  timestamp: new Date('2011-10-01T10:00:00Z'),
  quantity: 1,
});

describe('visitsAsUsers', () => {
  it('puts each invoice under a user of its own, also once its items became a sequence', () => {
    const lines = [line('1', 'A', 'u1'), line('1', 'B', 'u1'), line('2', 'C', 'u1'), line('3', 'D', 'u2')];
    const users = (ps: Purchase[]) => ps.map((p) => `${p.itemId}:${p.userId}`);
    expect(users(visitsAsUsers(lines))).toEqual(['A:u1/1', 'B:u1/1', 'C:u1/2', 'D:u2/3']);
    expect(users(visitsAsUsers(asItemSequences(lines)))).toEqual(['A:u1/1', 'B:u1/1', 'C:u1/2', 'D:u2/3']);
  });
});
