import type { NextFunction, Request, Response } from 'express';
import { ProblemException } from './problem';

/**
 * Longest request target accepted. Ids are at most 128 characters (three times that percent-encoded), so no
 * valid request comes near it; Node itself refuses a request line plus headers over 16 KB with 431.
 */
export const MAX_URL_LENGTH = 8192;

/**
 * Refuses request targets no route could serve before routing, logging or parsing spend anything on them: 414
 * for an over-long URL, 400 for a path that is not valid percent-encoding (the router would otherwise fail
 * deep in parameter decoding, with its own wording).
 */
export function checkRequestTarget(req: Request, _res: Response, next: NextFunction): void {
  if (req.url.length > MAX_URL_LENGTH) {
    next(new ProblemException(414, `The URL is longer than ${MAX_URL_LENGTH} characters.`));
    return;
  }
  try {
    decodeURIComponent(req.path);
  } catch {
    next(new ProblemException(400, 'The URL path is not valid percent-encoding.'));
    return;
  }
  next();
}
