import type { DynamicModule, Provider } from '@nestjs/common';
import type { RequestHandler } from 'express';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import pino from 'pino';
import { pinoHttp, type Options } from 'pino-http';
import type { AppConfig } from '../config/app-config';
import { logDestination, requestLogLevel, serializeRequest, serializeResponse } from './logging';
import { requestId } from './request-id';

/** Probes and scrapes: frequent, uneventful, and noise in the request log. */
const UNLOGGED_PATHS = new Set(['/health/live', '/metrics']);

/**
 * The request-log middleware the HTTP app mounts itself (createHttpApp), or null when nestjs-pino mounts its own
 * (LOG_REQUEST_CONTEXT=on).
 */
export const REQUEST_LOG = Symbol('REQUEST_LOG');

/** pino-http's options for the request log: its id, no headers, probes unlogged (common/logging.ts). */
function requestLogOptions(): Options {
  return {
    genReqId: requestId,
    // Keys must never reach a log line: the request serializer leaves headers out and censors the URL. It is
    // handed the raw request (wrapSerializers: false): the standard one would first copy every header of every
    // request, logged or not.
    wrapSerializers: false,
    serializers: { req: serializeRequest, res: serializeResponse, err: pino.stdSerializers.err },
    autoLogging: {
      // The middleware sees the path relative to its mount point in `url`; the full one is originalUrl.
      ignore: (req: IncomingMessage & { originalUrl?: string }) =>
        UNLOGGED_PATHS.has((req.originalUrl ?? req.url ?? '').split('?')[0]),
    },
    customLogLevel: requestLogLevel,
  };
}

/**
 * The logger (nestjs-pino, with pino-http's request log) and the provider of REQUEST_LOG, by
 * LOG_REQUEST_CONTEXT:
 * - `on`: nestjs-pino's middleware runs each request inside an AsyncLocalStorage context holding its logger, so
 *   any line logged while handling it names it. On Node 20 a live context puts a hook on every promise the
 *   process creates: in bench/api-load, 15–35 % more main-thread CPU per request for `/health/live` and the
 *   floor of a session list, ~15 % for `/similar` (README, Design).
 * - `off` (default): the same request log from pino-http alone, mounted by the app. The request's line and the
 *   error lines of ProblemFilter (which logs through the request's own logger) name the request; other lines
 *   logged meanwhile do not.
 */
export function requestLogging(
  config: AppConfig,
  logToStderr: boolean,
): { module: DynamicModule; provider: Provider } {
  const destination = logDestination(config.logFormat, logToStderr ? 2 : 1);
  // On the root logger rather than as customProps, which made one more child logger per request.
  const rootOptions = {
    level: config.logLevel,
    base: { pid: process.pid, hostname: hostname(), service: 'aisle' },
  };
  if (config.logRequestContext === 'on')
    return {
      module: LoggerModule.forRoot({ pinoHttp: [{ ...rootOptions, ...requestLogOptions() }, destination] }),
      provider: { provide: REQUEST_LOG, useValue: null },
    };
  const root = pino(rootOptions, destination);
  const middleware: RequestHandler = pinoHttp({ ...requestLogOptions(), logger: root });
  return {
    // No route gets nestjs-pino's middleware: it is only the application's logger, writing to `root`.
    module: LoggerModule.forRoot({ pinoHttp: { logger: root }, forRoutes: [] }),
    provider: { provide: REQUEST_LOG, useValue: middleware },
  };
}
