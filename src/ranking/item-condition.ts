/**
 * Merchandising conditions (`match` / `when` of a rule): MongoDB-style queries over an item's fields, checked
 * against an allow-list and compiled once into a predicate by `sift`.
 *
 * Why sift (not mingo, not our own expression language): sift is made for exactly this — testing plain
 * in-memory objects against MongoDB queries — is small, has no runtime dependencies and is very widely used.
 * Above all, its `createQueryTester` builds a tester from an explicit operator table: an operator missing from
 * the table is an error, so `$where` (which compiles strings into functions) cannot run even if a condition
 * slipped past the validation below. mingo carries the whole aggregation language and registers custom
 * operators globally, which is more surface than a rule needs.
 */
import {
  $and,
  $eq,
  $exists,
  $gt,
  $gte,
  $in,
  $lt,
  $lte,
  $ne,
  $nin,
  $nor,
  $not,
  $or,
  createEqualsOperation,
  createQueryTester,
} from 'sift';

type Options = Parameters<typeof createEqualsOperation>[2];

/** The fields of an item a condition can see. */
export interface ItemDocument {
  id: string;
  category: string | null;
  brand: string | null;
  price: number | null;
  inStock: boolean;
  createdAt: Date | null;
  attributes: Readonly<Record<string, string | number | boolean>>;
}

export type ItemPredicate = (item: ItemDocument) => boolean;

export const CONDITION_FIELDS = ['id', 'category', 'brand', 'price', 'inStock', 'createdAt'] as const;
export const MAX_CONDITION_DEPTH = 10;

type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'attribute';
const FIELD_TYPES: Record<(typeof CONDITION_FIELDS)[number], { type: FieldType; nullable: boolean }> = {
  id: { type: 'string', nullable: false },
  category: { type: 'string', nullable: true },
  brand: { type: 'string', nullable: true },
  price: { type: 'number', nullable: true },
  inStock: { type: 'boolean', nullable: false },
  createdAt: { type: 'date', nullable: true },
};

const LOGICAL = new Set(['$and', '$or', '$nor']);
const COMPARISON = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte']);
const LIST = new Set(['$in', '$nin']);
export const ALLOWED_OPERATORS = [...LOGICAL, ...COMPARISON, ...LIST, '$exists', '$not', '$prefix'];

/** Category path prefix on whole segments, case-insensitive — the same rule as the `category` list option. */
function $prefix(params: unknown, ownerQuery: unknown, options: Options) {
  const p = String(params).replace(/\/+$/, '').toLowerCase();
  return createEqualsOperation(
    (value: unknown) => {
      if (typeof value !== 'string') return false;
      const v = value.toLowerCase();
      return v === p || v.startsWith(`${p}/`);
    },
    ownerQuery,
    options,
  );
}

/** The only operators sift may build; anything else (`$where`, `$regex`, `$expr`, `$function`…) throws. */
const OPERATIONS = { $and, $or, $nor, $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $not, $prefix };

export interface ConditionIssue {
  /** Relative to the condition, e.g. ['price', '$gte']. */
  path: Array<string | number>;
  message: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function fieldType(field: string): { type: FieldType; nullable: boolean } | undefined {
  if (field.startsWith('attributes.')) {
    const name = field.slice('attributes.'.length);
    return name.length > 0 && name.length <= 128 && !name.includes('.') && !name.startsWith('$')
      ? { type: 'attribute', nullable: true }
      : undefined;
  }
  return (FIELD_TYPES as Record<string, { type: FieldType; nullable: boolean }>)[field];
}

function valueIssue(
  value: unknown,
  t: { type: FieldType; nullable: boolean },
  allowNull: boolean,
): string | undefined {
  if (value === null) return allowNull && t.nullable ? undefined : 'must not be null';
  switch (t.type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'date':
      return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'must be an ISO-8601 date, e.g. 2026-01-31 or 2026-01-31T12:00:00Z';
    case 'attribute':
      return typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value))
        ? undefined
        : 'must be a string, number or boolean';
  }
}

/** Every problem of a condition, each with its path; empty when the condition can be compiled. */
export function conditionIssues(condition: unknown): ConditionIssue[] {
  const issues: ConditionIssue[] = [];
  const add = (path: Array<string | number>, message: string): void => {
    issues.push({ path, message });
  };

  const query = (q: unknown, path: Array<string | number>, depth: number): void => {
    if (depth > MAX_CONDITION_DEPTH) return add(path, `nested over ${MAX_CONDITION_DEPTH} levels`);
    if (!isPlainObject(q)) return add(path, 'must be an object');
    for (const [key, value] of Object.entries(q)) {
      const at = [...path, key];
      if (key.startsWith('$')) {
        if (!LOGICAL.has(key)) {
          add(at, `unknown operator here; use a field name or one of ${[...LOGICAL].join(', ')}`);
          continue;
        }
        if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
          add(at, 'must be a list of 1–100 conditions');
          continue;
        }
        value.forEach((sub, i) => query(sub, [...at, i], depth + 1));
        continue;
      }
      const t = fieldType(key);
      if (!t) {
        add(at, `unknown field; conditions may use ${CONDITION_FIELDS.join(', ')} and attributes.<name>`);
        continue;
      }
      fieldValue(key, value, t, at, depth + 1);
    }
  };

  const fieldValue = (
    field: string,
    value: unknown,
    t: { type: FieldType; nullable: boolean },
    path: Array<string | number>,
    depth: number,
  ): void => {
    if (!isPlainObject(value)) {
      const bad = valueIssue(value, t, true);
      if (bad) add(path, bad);
      return;
    }
    if (depth > MAX_CONDITION_DEPTH) return add(path, `nested over ${MAX_CONDITION_DEPTH} levels`);
    const ops = Object.entries(value);
    if (ops.length === 0) return add(path, 'must name at least one operator');
    for (const [op, arg] of ops) {
      const at = [...path, op];
      if (COMPARISON.has(op)) {
        const allowNull = op === '$eq' || op === '$ne';
        const bad = valueIssue(arg, t, allowNull);
        if (bad) add(at, bad);
        if (['$gt', '$gte', '$lt', '$lte'].includes(op) && t.type === 'boolean')
          add(at, 'cannot order true and false; use $eq');
      } else if (LIST.has(op)) {
        if (!Array.isArray(arg) || arg.length > 1000) add(at, 'must be a list of at most 1000 values');
        else
          arg.forEach((v, i) => {
            const bad = valueIssue(v, t, true);
            if (bad) add([...at, i], bad);
          });
      } else if (op === '$exists') {
        if (typeof arg !== 'boolean') add(at, 'must be true or false');
      } else if (op === '$not') {
        if (!isPlainObject(arg)) add(at, 'must be an object of operators');
        else fieldValue(field, arg, t, at, depth + 1);
      } else if (op === '$prefix') {
        if (field !== 'category') add(at, '$prefix applies to category only');
        else if (typeof arg !== 'string' || arg.length === 0) add(at, 'must be a non-empty category path');
      } else {
        add(at, `unknown operator; allowed: ${ALLOWED_OPERATORS.join(', ')}`);
      }
    }
  };

  query(condition, [], 1);
  return issues;
}

/** Dates in conditions are ISO strings; items carry Date objects, which sift compares by time. */
function withDates(q: unknown, field?: string): unknown {
  if (Array.isArray(q)) return q.map((v) => withDates(v, field));
  if (isPlainObject(q)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(q)) out[k] = withDates(v, k.startsWith('$') ? field : k);
    return out;
  }
  return field === 'createdAt' && typeof q === 'string' ? new Date(q) : q;
}

/**
 * A predicate for a condition that `conditionIssues` accepted. Throws on anything else (an operator outside
 * the table), so an unchecked condition can never become code.
 */
export function compileCondition(condition: Record<string, unknown>): ItemPredicate {
  const test = createQueryTester(withDates(condition) as Record<string, unknown>, {
    operations: OPERATIONS,
  });
  return (item) => test(item);
}
