import type { ServedList } from './served-lists.repository';

/**
 * The columns of served_lists in the order copyRows writes each row's fields: COPY names them in its column list,
 * so the two are kept side by side here.
 */
export const SERVED_LIST_COPY_COLUMNS = [
  'recomm_id',
  'source',
  'is_placement',
  'user_id',
  'session_id',
  'variant',
  'model_version',
  'strategy',
  'item_ids',
  'served_at',
  'experiment_id',
  'item_teams',
] as const;

/** The NULL marker of COPY's text format. */
const NULL = '\\N';

/** Characters COPY's text format reads specially inside a field. */
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A field as COPY's text format reads it back verbatim: backslash, newline, carriage return and tab escaped. Ids
 * are plain in practice, so the common case is a test and no copy.
 */
export function copyField(value: string): string {
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]) : value;
}

/**
 * A PostgreSQL array literal of these strings, each element quoted (so commas, braces, spaces and the word NULL
 * stay text) with its quotes and backslashes escaped. The literal is still to be escaped as a COPY field.
 */
export function arrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return '{}';
  for (const v of values)
    if (NEEDS_ARRAY_ESCAPE.test(v))
      return `{${values.map((w) => `"${w.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  // Ids rarely hold a quote or a backslash: then the elements are joined as they are.
  return `{"${values.join('","')}"}`;
}

const NEEDS_ARRAY_ESCAPE = /["\\]/;

const text = (v: string | null): string => (v === null ? NULL : copyField(v));

/** The last timestamp formatted: lists of a batch are served within a flush interval, many in the same ms. */
let lastServedAt = { ms: NaN, text: '' };
function timestamp(ms: number): string {
  if (lastServedAt.ms !== ms) lastServedAt = { ms, text: new Date(ms).toISOString() };
  return lastServedAt.text;
}

const textArray = (v: readonly string[] | null): string => (v === null ? NULL : copyField(arrayLiteral(v)));

/**
 * The lists as the body of `COPY served_lists (SERVED_LIST_COPY_COLUMNS) FROM STDIN` in text format, one line per
 * list. Every string is valid text for PostgreSQL (the API refuses NUL and unpaired surrogates in ids), so what
 * is written reads back equal.
 */
export function copyRows(lists: readonly ServedList[]): string {
  let out = '';
  for (const l of lists) {
    out +=
      `${text(l.recommId)}\t${text(l.source)}\t${l.isPlacement ? 't' : 'f'}\t${text(l.userId)}\t` +
      `${text(l.sessionId)}\t${text(l.variant)}\t${text(l.modelVersion)}\t${text(l.strategy)}\t` +
      `${textArray(l.itemIds)}\t${timestamp(l.servedAt)}\t${text(l.experimentId)}\t` +
      `${textArray(l.itemTeams)}\n`;
  }
  return out;
}
