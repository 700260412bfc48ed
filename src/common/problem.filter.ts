import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { databaseUnavailableProblem, DATABASE_RETRY_AFTER_SECONDS } from './database-errors';
import { toProblem, type ProblemDetails } from './problem';

/** What Fastify's body parsing and routing throw before a handler runs. */
interface BodyParserError {
  code?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

/** Answers every error as application/problem+json, including body-parser and unknown errors. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<FastifyReply>();
    const unavailable = databaseUnavailableProblem(exception);
    const problem = unavailable ?? this.describe(exception);
    // An outage is not a bug: one line per request, no stack, and the client is told when to come back.
    if (unavailable) {
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      void res.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    } else if (problem.status >= 500)
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    // An overload answer (e.g. a full encoder queue) says when to come back.
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void res.header('Retry-After', String(retryAfter));
    void res.code(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private describe(exception: unknown): ProblemDetails {
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
      const cause = (exception.cause ?? {}) as BodyParserError;
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? String(body.message)
          : exception.message;
      return toProblem(status, this.bodyParserDetail(cause) ?? message);
    }
    const err = (exception ?? {}) as BodyParserError;
    const status = err.status ?? err.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return toProblem(status, this.bodyParserDetail(err) ?? err.message ?? 'Bad request');
    }
    return toProblem(500, 'Internal error; the request was not applied.');
  }

  private bodyParserDetail(err: BodyParserError): string | undefined {
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return 'The body is not valid JSON.';
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return 'The body is empty, but Content-Type says JSON.';
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return 'The body is larger than the configured limit (BODY_LIMIT).';
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return 'Unsupported Content-Type: send application/json.';
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return 'Content-Length does not match the body.';
      default:
        return undefined;
    }
  }
}
