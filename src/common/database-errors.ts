import { toProblem, type ProblemDetails } from './problem';

/** Seconds a client is told to wait before retrying while the database is unreachable or overloaded. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Socket errors of a database that is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that say "not now" rather than "wrong request": 08xxx connection exceptions, 53xxx insufficient
 * resources (too many connections, out of memory), 57014 query_canceled (statement_timeout), 57P01–57P05
 * shutdown and idle-session terminations, 55P03 lock_not_available (lock_timeout).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57014|57P0[1-5]|55P03)$/;

/** What the pg driver and its pool say, as text only, when the server never answers. */
const DRIVER_MESSAGES = [
  'timeout exceeded when trying to connect', // pool full for DB_CONNECT_TIMEOUT_MS
  'Connection terminated due to connection timeout', // no handshake within DB_CONNECT_TIMEOUT_MS
  'Connection terminated unexpectedly', // the server went away mid-query
  'Query read timeout', // no answer within the client's query_timeout
  'Client has encountered a connection error and is not queryable',
];

interface DriverErrorLike {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

/** Whether an error means PostgreSQL is unreachable, too slow or overloaded (the request itself may be fine). */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as DriverErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (DRIVER_MESSAGES.some((m) => message.includes(m))) return true;
  // TypeORM wraps the driver's error (QueryFailedError.driverError); Node wraps causes.
  return isDatabaseUnavailable(e.driverError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}

/** The 503 answer for such an error, or undefined when the error is something else. */
export function databaseUnavailableProblem(error: unknown): ProblemDetails | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  return toProblem(503, 'The database is unavailable or too slow right now; retry later.');
}
