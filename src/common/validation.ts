import { z } from 'zod';
import { type FieldError, ProblemException, validationProblem } from './problem';

/** Ids: 1–128 characters of letters, digits and -_.:@/ (api.md). */
export const ID_PATTERN = /^[A-Za-z0-9\-_.:@/]{1,128}$/;
export const idSchema = z
  .string({ message: 'must be a string' })
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(ID_PATTERN, 'may contain only letters, digits and - _ . : @ /');

/**
 * NUL and unpaired UTF-16 surrogates: valid in a JS string (and in JSON), but PostgreSQL stores neither in
 * text or jsonb, so letting them through turns a bad request into a failed write. With the `u` flag a
 * well-formed surrogate pair is one code point, so \p{Cs} only matches the lone halves.
 */
const UNSTORABLE_TEXT = new RegExp(String.raw`\u0000|\p{Cs}`, 'u');
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';
export const isStorableText = (s: string): boolean => !UNSTORABLE_TEXT.test(s);

/** A client-supplied string as stored in PostgreSQL text or jsonb. */
export const textSchema = () =>
  z.string({ message: 'must be a string' }).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);

/** `items[3].price` from zod's ['items', 3, 'price']. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

export function zodErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((i) =>
    // zod reports unknown keys on their parent object; api.md wants one entry per bad field, named.
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: formatPath([...i.path, k]), message: 'unknown field' }))
      : [{ path: formatPath(i.path), message: i.message }],
  );
}

/** Parses or throws a 400 problem naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationProblem(zodErrors(r.error));
  return r.data;
}

/** Query strings held parsed per schema (a map of at most this many, emptied when full), and the longest held. */
const PARSED_QUERIES_MAX = 256;
const PARSED_QUERY_KEY_MAX = 1024;
const parsedQueries = new WeakMap<z.ZodType, Map<string, unknown>>();

/**
 * parseOrThrow for a list's query string, remembering the parsed options of each query string (per schema):
 * a storefront asks with the same few query strings over and over, and zod runs every field's transforms on
 * each request (~8 µs, 3–4 % of the main thread under `/similar` load in bench/api-load). The options are
 * shared by every request with that query string, so they are frozen. A query that is not flat strings, or
 * fails, or is long, is parsed each time and not held.
 */
export function parseQueryOrThrow<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const key = queryKey(query);
  if (key === undefined) return parseOrThrow(schema, query);
  let held = parsedQueries.get(schema);
  if (!held) parsedQueries.set(schema, (held = new Map<string, unknown>()));
  const hit = held.get(key);
  if (hit !== undefined) return hit as z.output<S>;
  const parsed = deepFreeze(parseOrThrow(schema, query));
  if (held.size >= PARSED_QUERIES_MAX) held.clear();
  held.set(key, parsed);
  return parsed;
}

/** A key naming a query of string values (in the order given), undefined for any other query or a long one. */
function queryKey(query: unknown): string | undefined {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return undefined;
  for (const value of Object.values(query)) if (typeof value !== 'string') return undefined;
  const key = JSON.stringify(query);
  return key.length > PARSED_QUERY_KEY_MAX ? undefined : key;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A URL parameter: a bad value is reported under the parameter's name, not as the body. */
export function parseParam<S extends z.ZodType>(name: string, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationProblem(zodErrors(r.error).map((e) => ({ ...e, path: name })));
  return r.data;
}

/** Batch size is checked before field validation, so a huge batch is refused cheaply with 413. */
export function assertBatch(body: unknown, field: string, max: number): void {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationProblem([{ path: '(body)', message: `must be a JSON object with an "${field}" array` }]);
  }
  const list = (body as Record<string, unknown>)[field];
  if (Array.isArray(list) && list.length > max) {
    throw new ProblemException(413, `A batch holds at most ${max} entries; "${field}" has ${list.length}.`, [
      { path: field, message: `at most ${max} entries` },
    ]);
  }
}

/** Query-string helpers: values arrive as strings. */
export const queryLimit = (def: number, max = 100) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: 'custom', message: 'must be a number' });
        return z.NEVER;
      }
      // api.md: limit values are clamped, not refused.
      return Math.min(max, Math.max(1, Math.trunc(n)));
    });

export const queryBool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? def : v === 'true' || v === '1'));

export const queryNumber = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: 'must be a number ≥ 0' });
        return z.NEVER;
      }
      return n;
    });

/**
 * A `minPrice` above `maxPrice` matches no item: refused, naming `maxPrice`, rather than answered with an empty
 * list that looks like the engine found nothing.
 */
export function checkPriceRange(
  v: { minPrice?: number; maxPrice?: number },
  ctx: z.RefinementCtx,
  path: PropertyKey[] = [],
): void {
  if (v.minPrice !== undefined && v.maxPrice !== undefined && v.maxPrice < v.minPrice)
    ctx.addIssue({ code: 'custom', message: 'must be ≥ minPrice', path: [...path, 'maxPrice'] });
}
