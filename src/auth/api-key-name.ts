import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The name recorded for writes made without keys (API_KEYS unset). */
export const OPEN_ACCESS_NAME = 'open';

/**
 * A loggable name for the API key of a request: `key:` and the first 12 hex digits of its SHA-256, so an
 * audit trail (who changed a placement) can tell keys apart without ever storing a key.
 */
export function apiKeyName(headers: IncomingHttpHeaders, keysConfigured: boolean): string {
  if (!keysConfigured) return OPEN_ACCESS_NAME;
  const header = headers['x-api-key'];
  const presented = Array.isArray(header) ? header[0] : header;
  if (!presented) return OPEN_ACCESS_NAME;
  return `key:${createHash('sha256').update(presented).digest('hex').slice(0, 12)}`;
}
