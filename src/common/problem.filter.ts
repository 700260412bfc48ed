import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { toProblem, type ProblemDetails } from './problem';

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

/** Answers every error as application/problem+json, including body-parser and unknown errors. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const problem = this.describe(exception);
    if (problem.status >= 500)
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
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
    switch (err.type) {
      case 'entity.parse.failed':
        return 'The body is not valid JSON.';
      case 'entity.too.large':
        return 'The body is larger than the configured limit (BODY_LIMIT).';
      case 'encoding.unsupported':
        return 'Unsupported content encoding.';
      default:
        return undefined;
    }
  }
}
