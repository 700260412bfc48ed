import { HttpException, HttpStatus } from '@nestjs/common';

/** One bad field of a request, `path` in the api.md form `items[3].price`. */
export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details, as every error of the API is answered. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function problemType(status: number): string {
  return `https://aisle.dev/problems/${status}`;
}

/** An HttpException whose response is already a problem document. */
export class ProblemException extends HttpException {
  constructor(status: number, detail: string, errors?: FieldError[], extra?: Record<string, unknown>) {
    const body: ProblemDetails = {
      type: problemType(status),
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      ...(errors && errors.length > 0 ? { errors } : {}),
      ...extra,
    };
    super(body, status);
    // Callers outside HTTP (the CLI) show `message`; Nest would otherwise leave the class name there.
    this.message = detail;
  }
}

export const validationProblem = (errors: FieldError[]) =>
  new ProblemException(
    HttpStatus.BAD_REQUEST,
    `The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}; nothing was written.`,
    errors,
  );

export const notFound = (what: string) => new ProblemException(HttpStatus.NOT_FOUND, `${what} not found`);

export function toProblem(status: number, detail: string, errors?: FieldError[]): ProblemDetails {
  return {
    type: problemType(status),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
