import { hash } from 'node:crypto';

/** mulberry32: tiny, fast, good enough for shuffling, initialisation and test data (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string's UTF-16 code units, unsigned 32-bit: a fixed spread of keys, the same on every run. */
export function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A point in [0, 1) for (salt, unit): the first 52 bits of SHA-256 over both ids. Deterministic across
 * processes and restarts (nothing is stored per shopper), independent between uses (each hashes its own salt
 * in: an experiment's id, a rule's name), and uniform enough that a split follows its weights.
 */
export function hashPoint(salt: string, unitId: string): number {
  // One-shot: a Hash object per call (OpenSSL context set-up, three updates) took a third more, and a session list
  // asks for one point per request. The bytes hashed are the same as salt, NUL, unitId fed one after another.
  const digest = hash('sha256', `${salt}\u0000${unitId}`, 'buffer');
  // 52 bits fit a double's mantissa exactly: 4 bytes high, 20 bits low.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 12;
  return (high * 2 ** 20 + low) / 2 ** 52;
}
