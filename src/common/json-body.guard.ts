import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ProblemException, validationProblem } from './problem';

interface BodyParserError {
  type?: string;
  status?: number;
  /** The text read, on a parse failure. */
  body?: unknown;
}

/**
 * Whether `text` is JSON that strict parsing refused only for its top level (null, a number, a string, a
 * boolean): every body here is an object.
 */
function isScalarJson(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    const v: unknown = JSON.parse(text);
    return v === null || typeof v !== 'object';
  } catch {
    return false;
  }
}

const isJson = (contentType: string): boolean => /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType);

/** A body is sent when Content-Length is over zero or the body is chunked (length unknown in advance). */
function carriesBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * Reads JSON request bodies as the guard after the API key guard (AppModule registers them in that order), so a
 * request without a valid key is refused 401/403 before its body is looked at. A guard rather than an
 * interceptor because it is the only request-wide step after the key check: with no interceptor at all, Nest
 * calls each handler without wrapping it in an rxjs pipeline, which was ~5% of a request's CPU on every route. The API takes only JSON: a body of any other type
 * is 415, and so is any POST that names another type even with no body, because an HTML form can only send
 * form or text types and must not be able to start admin work. An empty body is no body, whatever its type
 * says.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  private readonly parse: RequestHandler;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // body-parser reads the whole upload even past the limit before its 413, so every client receives it.
    this.parse = json({ limit: config.bodyLimit, strict: true, type: (req) => carriesBody(req as Request) });
  }

  /** Always true once the body is read: a body that cannot be taken is an error, not a refusal. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const contentType = req.headers['content-type'];
    const hasBody = carriesBody(req);
    if (
      (contentType !== undefined && !isJson(contentType) && (hasBody || req.method === 'POST')) ||
      (contentType === undefined && hasBody)
    ) {
      // The rest of the upload is read and dropped by Node once the answer is sent, so the client receives it.
      throw new ProblemException(415, 'Unsupported Content-Type: send application/json.');
    }
    if (hasBody) await this.read(req, http.getResponse<Response>());
    return true;
  }

  private read(req: Request, res: Response): Promise<void> {
    return new Promise((resolve, reject) => {
      this.parse(req, res, (err?: unknown) => {
        if (err === undefined || err === null) resolve();
        else reject(this.problem(err));
      });
    });
  }

  private problem(err: BodyParserError): ProblemException {
    switch (err.type) {
      case 'entity.too.large':
        return new ProblemException(413, 'The body is larger than the configured limit (BODY_LIMIT).');
      case 'entity.parse.failed':
        return isScalarJson(err.body)
          ? validationProblem([{ path: '(body)', message: 'must be a JSON object' }])
          : new ProblemException(400, 'The body is not valid JSON.');
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new ProblemException(415, 'Unsupported body encoding or charset: send UTF-8 JSON.');
      case 'request.size.invalid':
        return new ProblemException(400, 'Content-Length does not match the body.');
      case 'request.aborted':
        return new ProblemException(400, 'The request was aborted before its body arrived.');
      default:
        return new ProblemException(
          err.status && err.status >= 400 && err.status < 500 ? err.status : 400,
          'The body could not be read.',
        );
    }
  }
}
