/**
 * A placement being edited is a plain JSON value, not a typed object: the form and the raw-JSON tab change
 * the same draft, and whatever the merchandiser typed — a weight of "abc", a rule missing its match — goes to
 * the API as typed, so the preview and the save answer with the problem at its path (`rules[1].weight`)
 * instead of the dashboard guessing what the server would refuse.
 */
import type { Condition, PlacementDefinition, StoredPlacement } from './types';

export type Draft = Record<string, unknown>;
type Path = ReadonlyArray<string | number>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function getIn(value: unknown, path: Path): unknown {
  let v = value;
  for (const key of path) {
    if (Array.isArray(v) && typeof key === 'number') v = v[key];
    else if (isObject(v)) v = v[String(key)];
    else return undefined;
  }
  return v;
}

/** A copy of `value` with `path` set to `next`; `undefined` removes the key (an empty `filters` goes too). */
export function setIn(value: unknown, path: Path, next: unknown): unknown {
  if (path.length === 0) return next;
  const [key, ...rest] = path;
  if (typeof key === 'number') {
    const list = Array.isArray(value) ? [...(value as unknown[])] : [];
    list[key] = setIn(list[key], rest, next);
    return list;
  }
  const obj: Record<string, unknown> = isObject(value) ? { ...value } : {};
  const child = setIn(obj[key], rest, next);
  if (child === undefined || (isObject(child) && Object.keys(child).length === 0 && rest.length > 0))
    delete obj[key];
  else obj[key] = child;
  return obj;
}

/** What a PUT body holds: the stored placement without its id and revision bookkeeping. */
const BOOKKEEPING = new Set(['id', 'revision', 'updatedAt', 'updatedBy']);
export function definitionOf(p: StoredPlacement): Draft {
  return Object.fromEntries(Object.entries(p).filter(([k]) => !BOOKKEEPING.has(k)));
}

/** A draft value as text: strings as they are, anything else as JSON. */
export const asText = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

export const asDraft = (d: PlacementDefinition): Draft => ({ ...d });

export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A rule's name in the API's answers (preview `rules`, `activeRules`): its id, else its place. */
export function ruleKey(rule: unknown, index: number): string {
  const id = getIn(rule, ['id']);
  return typeof id === 'string' && id !== '' ? id : `rules[${index}]`;
}

/** The fields a rule of each action uses; changing the action drops the others. */
export const ACTION_FIELDS: Record<string, readonly string[]> = {
  boost: ['match', 'weight'],
  bury: ['match', 'weight'],
  filter: ['match'],
  promote: ['match', 'share'],
  pin: ['itemIds', 'position'],
};
const COMMON_RULE_FIELDS = ['id', 'action', 'when', 'from', 'until'];

export function withAction(rule: unknown, action: string): Record<string, unknown> {
  const keep = new Set([...COMMON_RULE_FIELDS, ...(ACTION_FIELDS[action] ?? [])]);
  const out: Record<string, unknown> = { action };
  if (isObject(rule))
    for (const [k, v] of Object.entries(rule)) if (keep.has(k) && k !== 'action') out[k] = v;
  return out;
}

// ---- Conditions as a list of clauses (field, operator, value) -------------------------------------------

export const CONDITION_OPS = [
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$prefix',
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export const OP_LABELS: Record<ConditionOp, string> = {
  $eq: 'is',
  $ne: 'is not',
  $gt: '>',
  $gte: '≥',
  $lt: '<',
  $lte: '≤',
  $in: 'is one of',
  $nin: 'is none of',
  $exists: 'is set',
  $prefix: 'is in category',
};

type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'attribute';
export const CONDITION_FIELDS: ReadonlyArray<{ field: string; label: string; type: FieldType }> = [
  { field: 'id', label: 'item id', type: 'string' },
  { field: 'category', label: 'category', type: 'string' },
  { field: 'brand', label: 'brand', type: 'string' },
  { field: 'price', label: 'price', type: 'number' },
  { field: 'inStock', label: 'in stock', type: 'boolean' },
  { field: 'createdAt', label: 'added to the catalog', type: 'date' },
];
export const ATTRIBUTE_PREFIX = 'attributes.';

export function fieldType(field: string): FieldType {
  if (field.startsWith(ATTRIBUTE_PREFIX)) return 'attribute';
  return CONDITION_FIELDS.find((f) => f.field === field)?.type ?? 'string';
}

export function opsFor(field: string): ConditionOp[] {
  switch (fieldType(field)) {
    case 'boolean':
      return ['$eq', '$ne'];
    case 'number':
    case 'date':
    case 'attribute':
      return ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists'];
    case 'string':
      return field === 'category'
        ? ['$prefix', '$eq', '$ne', '$in', '$nin', '$exists']
        : ['$eq', '$ne', '$in', '$nin', '$exists'];
  }
}

export interface Clause {
  field: string;
  op: ConditionOp;
  /** As typed: lists comma-separated, booleans "true"/"false". */
  value: string;
}

const LIST_OPS: ReadonlySet<string> = new Set(['$in', '$nin']);

function scalarText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * A condition as clauses, or null when it uses what the clause form cannot show ($or, $not, nulls, a list
 * of lists): such a condition stays editable as JSON.
 */
export function toClauses(condition: unknown): Clause[] | null {
  if (condition === undefined) return [];
  if (!isObject(condition)) return null;
  const clauses: Clause[] = [];
  for (const [field, v] of Object.entries(condition)) {
    if (field.startsWith('$')) return null;
    if (!isObject(v)) {
      const text = scalarText(v);
      if (text === null) return null;
      clauses.push({ field, op: '$eq', value: text });
      continue;
    }
    for (const [op, arg] of Object.entries(v)) {
      if (!(CONDITION_OPS as readonly string[]).includes(op)) return null;
      if (LIST_OPS.has(op)) {
        if (!Array.isArray(arg)) return null;
        const parts = arg.map(scalarText);
        if (parts.some((p) => p === null || p.includes(','))) return null;
        clauses.push({ field, op: op as ConditionOp, value: parts.join(', ') });
      } else {
        const text = scalarText(arg);
        if (text === null) return null;
        clauses.push({ field, op: op as ConditionOp, value: text });
      }
    }
  }
  return clauses;
}

/** A typed value as the API wants it: numbers for prices, booleans for flags; anything else stays text. */
export function parseConditionValue(field: string, text: string): unknown {
  const t = fieldType(field);
  const s = text.trim();
  if (t === 'number') return s !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
  if (t === 'boolean') return s === 'true' ? true : s === 'false' ? false : s;
  if (t === 'attribute') {
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    if (s === 'true' || s === 'false') return s === 'true';
  }
  return s;
}

/** Clauses back to a condition: one key per field, its operators together; no clauses → no condition. */
export function fromClauses(clauses: readonly Clause[]): Condition | undefined {
  if (clauses.length === 0) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const c of clauses) {
    const value =
      c.op === '$exists'
        ? c.value !== 'false'
        : LIST_OPS.has(c.op)
          ? c.value
              .split(',')
              .map((p) => p.trim())
              .filter((p) => p !== '')
              .map((p) => parseConditionValue(c.field, p))
          : c.op === '$prefix'
            ? c.value.trim()
            : parseConditionValue(c.field, c.value);
    out[c.field] = { ...(out[c.field] ?? {}), [c.op]: value };
  }
  // A lone "is" is written the short way ({ brand: "Acme" }), as people write it by hand.
  return Object.fromEntries(
    Object.entries(out).map(([field, ops]) => {
      const keys = Object.keys(ops);
      return [field, keys.length === 1 && keys[0] === '$eq' ? ops.$eq : ops];
    }),
  );
}

// ---- Problems at paths ---------------------------------------------------------------------------------

/** `placement.rules[1].weight` (a preview's path) and `rules[1].weight` (a save's) name the same field. */
export const draftPath = (path: string): string => path.replace(/^placement\./, '');

export function errorsUnder(
  errors: ReadonlyArray<{ path: string; message: string }>,
  prefix: string,
): Array<{ path: string; message: string }> {
  return errors
    .map((e) => ({ ...e, path: draftPath(e.path) }))
    .filter((e) => e.path === prefix || e.path.startsWith(`${prefix}.`) || e.path.startsWith(`${prefix}[`));
}
