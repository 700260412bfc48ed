import { isatty } from 'node:tty';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import pinoPretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config';

/** Query parameters whose names look like credentials; their values never reach a log line. */
const SECRET_PARAM = /key|token|secret|passw|auth|signature|credential/i;
const CENSOR = '[redacted]';

/** The URL with the value of every credential-looking query parameter replaced (the path is kept as sent). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // A malformed name is judged as sent.
      }
      return SECRET_PARAM.test(name) && eq >= 0 ? `${rawName}=${CENSOR}` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** The parsed query with credential-looking parameters censored. */
export function redactQuery(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(
    Object.entries(query as Record<string, unknown>).map(([k, v]) => [k, SECRET_PARAM.test(k) ? CENSOR : v]),
  );
}

/** pino-http hands its serialized request here: keys in the URL or query go the way of the X-API-Key header. */
export function serializeRequest(req: Record<string, unknown>): Record<string, unknown> {
  return {
    ...req,
    ...(typeof req.url === 'string' ? { url: redactUrl(req.url) } : {}),
    ...('query' in req ? { query: redactQuery(req.query) } : {}),
  };
}

/** Readiness probes repeat every few seconds and fail by design while warming up: debug, not info. */
export function requestLogLevel(
  req: IncomingMessage & { originalUrl?: string },
  _res: ServerResponse,
): pino.Level {
  return (req.originalUrl ?? req.url ?? '').startsWith('/health/') ? 'debug' : 'info';
}

/**
 * Where log lines go: JSON lines for collectors, or pino-pretty's readable lines for a person at a terminal.
 * `auto` chooses by whether the descriptor is a TTY. Pretty lines are formatted in-process and written
 * synchronously so a crash loses nothing.
 */
export function logDestination(format: AppConfig['logFormat'], fd: 1 | 2): pino.DestinationStream {
  const pretty = format === 'pretty' || (format === 'auto' && isatty(fd));
  if (!pretty) return pino.destination(fd);
  return pinoPretty({ destination: fd, sync: true, colorize: isatty(fd), translateTime: 'SYS:HH:MM:ss.l' });
}
