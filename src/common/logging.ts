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

/**
 * What a request's log lines say of the request: its id, method, URL (credential-looking query values
 * censored) and peer. No headers: keys and cookies travel there, and serialising every header of every request
 * was a third of what a request allocated (pino binds the request to a child logger as soon as it arrives,
 * whether or not a line is ever written), which showed as garbage-collection pauses under load.
 */
export function serializeRequest(
  req: IncomingMessage & { id?: unknown; originalUrl?: string },
): Record<string, unknown> {
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.originalUrl ?? req.url ?? ''),
    remoteAddress: req.socket?.remoteAddress,
  };
}

/** The response's status in a request's log line (its headers say nothing a reader of the log needs). */
export function serializeResponse(res: ServerResponse): Record<string, unknown> {
  return { statusCode: res.statusCode };
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
