import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger as PinoLogger } from 'pino';
import { databaseUnavailableProblem, DATABASE_RETRY_AFTER_SECONDS } from './database-errors';
import { toProblem, type ProblemDetails } from './problem';
import { allowedMethods } from './allowed-methods';

/** What Express's router and Node throw before a handler runs. */
interface FrameworkError {
  status?: number;
  statusCode?: number;
  message?: string;
}

/** Answers every error as application/problem+json, including routing and unknown errors. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const unavailable = databaseUnavailableProblem(exception);
    const problem = unavailable ?? this.describe(exception, req);
    if (problem.status === 405) res.setHeader('Allow', (problem.allow as string[]).join(', '));
    if (unavailable) {
      // An outage is not a bug: one line per request, no stack, and the client is told when to come back.
      this.log(req, 'warn', `database unavailable: ${(exception as Error).message}`);
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    } else if (typeof (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds === 'number') {
      // Overload (a full encoder queue) is expected under load: one line, no stack.
      this.log(req, 'warn', `overloaded: ${problem.detail ?? problem.title}`);
    } else if (problem.checks !== undefined) {
      // A failed readiness probe is the expected answer while warming up, not an error.
      this.log(req, 'debug', `not ready: ${JSON.stringify(problem.checks)}`);
    } else if (problem.status >= 500) {
      this.log(
        req,
        'error',
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    // An overload answer (e.g. a full encoder queue) says when to come back.
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  /**
   * Through the request's own logger (pino-http's, bound to its id) when it has one, so the line names the request
   * whatever LOG_REQUEST_CONTEXT says; an error before the request log saw the request goes to the app's logger.
   */
  private log(req: Request, level: 'debug' | 'warn' | 'error', message: string): void {
    const own = (req as Request & { log?: PinoLogger }).log;
    if (own) own[level]({ context: 'ProblemFilter' }, message);
    else this.logger[level](message);
  }

  private describe(exception: unknown, req: Request): ProblemDetails {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'object' && body !== null && 'type' in body && 'status' in body) {
        return body as ProblemDetails;
      }
      // Terminus reports which checks failed: keep that detail for operators.
      if (typeof body === 'object' && body !== null && 'details' in body) {
        return { ...toProblem(status, 'Not ready: a dependency check failed.'), checks: body.details };
      }
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? String(body.message)
          : exception.message;
      // The router's "no route" 404: the path may exist for other methods, which makes it a 405.
      if (status === 404) return this.methodNotAllowed(req) ?? toProblem(404, message);
      return toProblem(status, message);
    }
    const err = (exception ?? {}) as FrameworkError;
    const status = err.status ?? err.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return toProblem(status, err.message ?? 'Bad request');
    }
    return toProblem(500, 'Internal error; the request was not applied.');
  }

  private methodNotAllowed(req: Request): ProblemDetails | undefined {
    const allow = allowedMethods(req);
    if (allow.length === 0 || allow.includes(req.method)) return undefined;
    return { ...toProblem(405, `${req.method} is not allowed here; allowed: ${allow.join(', ')}.`), allow };
  }
}
