import { DeleteLedger } from './delete-ledger';

describe('DeleteLedger', () => {
  it('calls a list a violation when the item had been deleted for the grace period when it was asked', () => {
    const l = new DeleteLedger();
    l.deleted('a', 1000, 'A');
    expect(l.violatedBy('a', 1999, 2100, 1000)).toBeUndefined(); // asked within the grace period
    expect(l.violatedBy('a', 2000, 2100, 1000)).toMatchObject({ id: 'a', by: 'A' });
    expect(l.violatedBy('b', 5000, 5100, 1000)).toBeUndefined();
  });

  it('not when a re-create was sent before the answer came, even after the list was asked', () => {
    const l = new DeleteLedger();
    l.deleted('a', 1000, 'A');
    l.recreating('a', 5050);
    expect(l.deletedCount).toBe(0);
    expect(l.violatedBy('a', 5000, 5100, 1000)).toBeUndefined(); // the PUT was in flight with the list
    expect(l.violatedBy('a', 4000, 4100, 1000)).toMatchObject({ id: 'a' }); // answered before it was sent
  });

  it('keeps each delete of an item apart, the first acknowledgement binding', () => {
    const l = new DeleteLedger();
    l.deleted('a', 1000, 'A');
    l.deleted('a', 1500, 'B'); // a second ack of the same delete
    l.recreating('a', 3000);
    l.deleted('a', 6000, 'B');
    expect(l.deletedIds().map((s) => s.ackedAt)).toEqual([6000]);
    expect(l.violatedBy('a', 2500, 2600, 1000)).toMatchObject({ by: 'A' });
    expect(l.violatedBy('a', 4000, 4100, 1000)).toBeUndefined();
    expect(l.violatedBy('a', 7000, 7100, 1000)).toMatchObject({ by: 'B', ackedAt: 6000 });
  });
});
