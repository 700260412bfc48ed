import { Doorkeeper } from './doorkeeper';

describe('Doorkeeper', () => {
  it('answers no for a key the first time and yes from the second', () => {
    const door = new Doorkeeper(1000);
    expect(door.askedBefore('["a","b"]')).toBe(false);
    expect(door.askedBefore('["a","b"]')).toBe(true);
    expect(door.askedBefore('["a","b"]')).toBe(true);
    // Keys that differ only by order or by one character are other keys.
    expect(door.askedBefore('["b","a"]')).toBe(false);
    expect(door.askedBefore('["a","c"]')).toBe(false);
  });

  it('remembers at least `capacity` keys, forgets beyond twice that, and says yes wrongly for few new ones', () => {
    const capacity = 5000;
    const door = new Doorkeeper(capacity);
    const key = (i: number) => `cart-${i}`;
    for (let i = 0; i < capacity; i++) door.askedBefore(key(i));
    // Every key of the generation just filled is still remembered.
    let remembered = 0;
    for (let i = 0; i < capacity; i++) if (door.askedBefore(key(i))) remembered++;
    expect(remembered).toBe(capacity);
    // New keys: a false yes now and then, at most a few in a hundred.
    let falseYes = 0;
    for (let i = capacity; i < 2 * capacity; i++) if (door.askedBefore(key(i))) falseYes++;
    expect(falseYes / capacity).toBeLessThan(0.04);
    // Two generations on, the first keys are forgotten (but for the same few false yeses).
    for (let i = 2 * capacity; i < 3 * capacity; i++) door.askedBefore(key(i));
    let still = 0;
    for (let i = 0; i < capacity; i++) if (door.askedBefore(key(i))) still++;
    expect(still / capacity).toBeLessThan(0.04);
  });

  it('takes ten bits a key in each of its two generations, rounded up to a power of two', () => {
    expect(new Doorkeeper(65536).bytes).toBe((2 * (1 << 20)) / 8);
    expect(() => new Doorkeeper(0)).toThrow(RangeError);
    expect(() => new Doorkeeper(1.5)).toThrow(RangeError);
  });
});
