/** The signed-in API key, kept for this tab only (sessionStorage) and sent only in the X-API-Key header. */
const KEY = 'aisle.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, key);
}
