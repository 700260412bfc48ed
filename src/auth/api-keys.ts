import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Scope } from '../config/config.schema';

// One-shot: every request with a key is hashed, and a Hash object per call costs a third more.
const digest = (s: string) => hash('sha256', s, 'buffer');

/** What a presented X-API-Key header amounts to. */
export type KeyCheck =
  { kind: 'open' } | { kind: 'missing' } | { kind: 'unknown' } | { kind: 'key'; scopes: ReadonlySet<Scope> };

/**
 * The configured keys, compared as digests in constant time; kept in clear nowhere beyond construction.
 * Shared by the guard and the who-am-I endpoint so both judge a key the same way.
 */
export class ApiKeys {
  private readonly keys: Array<{ digest: Buffer; scopes: ReadonlySet<Scope> }>;

  constructor(configured: readonly ApiKey[] | undefined) {
    this.keys = (configured ?? []).map((k) => ({ digest: digest(k.key), scopes: k.scopes }));
  }

  get open(): boolean {
    return this.keys.length === 0;
  }

  check(header: string | string[] | undefined): KeyCheck {
    if (this.open) return { kind: 'open' };
    const presented = Array.isArray(header) ? header[0] : header;
    if (!presented) return { kind: 'missing' };
    const d = digest(presented);
    const match = this.keys.find((k) => timingSafeEqual(k.digest, d));
    return match ? { kind: 'key', scopes: match.scopes } : { kind: 'unknown' };
  }
}
