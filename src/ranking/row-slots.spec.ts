import { RowSlots } from './row-slots';

describe('RowSlots', () => {
  it('holds the slots set in this gathering and forgets them when the next one begins', () => {
    const slots = new RowSlots().begin(4);
    expect(slots.get(2)).toBe(-1);
    slots.set(2, 7);
    slots.set(0, 0);
    expect([slots.get(0), slots.get(1), slots.get(2)]).toEqual([0, -1, 7]);
    slots.begin(4);
    expect([slots.get(0), slots.get(2)]).toEqual([-1, -1]);
  });

  it('grows for a larger model without carrying old entries over', () => {
    const slots = new RowSlots().begin(2);
    slots.set(1, 3);
    slots.begin(5000);
    expect(slots.get(1)).toBe(-1);
    slots.set(4999, 12);
    expect(slots.get(4999)).toBe(12);
  });
});
