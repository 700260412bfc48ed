import { validationSession, VALIDATION_SESSION_ITEMS } from './session-gate';

const at = (minute: number) => new Date(Date.UTC(2011, 0, 1, 10, minute));
const buy = (itemId: string, minute: number) => ({ userId: 'u', itemId, timestamp: at(minute), weight: 1 });

describe('validation sessions of the gate', () => {
  it('is the last basket (one timestamp) when it holds more than one item', () => {
    const history = [buy('a', 0), buy('b', 0), buy('c', 5), buy('d', 5), buy('c', 5)];
    expect(validationSession(history)).toEqual(['d', 'c']);
  });

  it('is the last purchases, up to ten distinct items, when they come one at a time', () => {
    const ids = Array.from({ length: 14 }, (_, i) => `i${i}`);
    const history = [...ids.map((id, i) => buy(id, i)), buy('i3', 20)];
    const session = validationSession(history);
    expect(session).toHaveLength(VALIDATION_SESSION_ITEMS);
    // i3 again last: it moves to the end, and the ten most recent distinct items remain.
    expect(session).toEqual(['i5', 'i6', 'i7', 'i8', 'i9', 'i10', 'i11', 'i12', 'i13', 'i3']);
  });

  it('is empty without history', () => {
    expect(validationSession([])).toEqual([]);
  });
});
