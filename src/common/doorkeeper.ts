/**
 * Probes per key: with `capacity` keys in 10 bits each, a key not asked before reads as asked with odds of about
 * 1 in 60 per generation, so at most about 1 in 30 (both generations are asked).
 */
const PROBES = 3;
const BITS_PER_KEY = 10;

/**
 * Which keys were asked recently, for a cache that holds an entry only from its second ask (the doorkeeper of
 * TinyLFU): keys asked once — most of a shop's carts — then cost the cache no memory, push out no entry that
 * is asked again, and leave the collector nothing to trace. A Bloom filter in two generations: each remembers
 * up to `capacity` keys; when the current one is full it becomes the previous one and the oldest is forgotten,
 * so a key is remembered for between `capacity` and twice that many other keys. Fixed memory, no object per
 * key. A false "asked before" only holds an entry one ask early.
 */
export class Doorkeeper {
  private current: Uint32Array;
  private previous: Uint32Array;
  private readonly mask: number;
  private recorded = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    // A power of two of bits, so a probe is a mask rather than a division.
    let bits = 32;
    while (bits < capacity * BITS_PER_KEY) bits *= 2;
    this.mask = bits - 1;
    this.current = new Uint32Array(bits / 32);
    this.previous = new Uint32Array(bits / 32);
  }

  /** Bytes the two generations take. */
  get bytes(): number {
    return this.current.byteLength + this.previous.byteLength;
  }

  /** Whether `key` was asked since the previous generation began; when not, it is remembered from now on. */
  askedBefore(key: string): boolean {
    // FNV-1a over the UTF-16 units, and a second hash mixed from it (double hashing: probe i is h1 + i·h2).
    let h1 = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h1 = Math.imul(h1 ^ key.charCodeAt(i), 0x01000193);
    let h2 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
    h2 = Math.imul(h2 ^ (h2 >>> 13), 0xc2b2ae35);
    h2 = (h2 ^ (h2 >>> 16)) | 1;
    if (this.holds(this.current, h1, h2) || this.holds(this.previous, h1, h2)) return true;
    if (this.recorded >= this.capacity) {
      const oldest = this.previous;
      this.previous = this.current;
      this.current = oldest.fill(0);
      this.recorded = 0;
    }
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.current[bit >>> 5] |= 1 << (bit & 31);
    }
    this.recorded += 1;
    return false;
  }

  private holds(bits: Uint32Array, h1: number, h2: number): boolean {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if ((bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
