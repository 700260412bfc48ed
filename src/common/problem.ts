import { STATUS_CODES } from 'node:http';
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

/** RFC 9110's name where Node still uses the older one; every other status takes Node's reason phrase. */
const RENAMED: Record<number, string> = { 422: 'Unprocessable Content' };

/** The problem's `title`: the status's reason phrase, e.g. 405 "Method Not Allowed". */
export function problemTitle(status: number): string {
  return RENAMED[status] ?? STATUS_CODES[status] ?? 'Error';
}

export function problemType(status: number): string {
  return `https://aisle.dev/problems/${status}`;
}

/** An HttpException whose response is already a problem document. */
export class ProblemException extends HttpException {
  constructor(status: number, detail: string, errors?: FieldError[], extra?: Record<string, unknown>) {
    const body: ProblemDetails = {
      type: problemType(status),
      title: problemTitle(status),
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
    title: problemTitle(status),
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
