import type { Whoami } from './types';

/** The signed-in API key, kept for this tab only (sessionStorage) and sent only in the X-API-Key header. */
const KEY = 'aisle.apiKey';
/** What the server said about that key (its scopes, whether it runs open): no secret, kept beside it. */
const WHO = 'aisle.whoami';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, key);
}

export function storedWho(): Whoami | null {
  try {
    const who = JSON.parse(sessionStorage.getItem(WHO) ?? 'null') as Whoami | null;
    return who && typeof who.open === 'boolean' && Array.isArray(who.scopes) ? who : null;
  } catch {
    return null;
  }
}

export function storeWho(who: Whoami | null): void {
  if (who === null) sessionStorage.removeItem(WHO);
  else sessionStorage.setItem(WHO, JSON.stringify({ open: who.open, scopes: who.scopes }));
}
