import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ATTRIBUTE_PREFIX,
  CONDITION_FIELDS,
  OP_LABELS,
  fieldType,
  fromClauses,
  opsFor,
  sameJson,
  toClauses,
  type Clause,
  type ConditionOp,
} from '../placement-draft';

interface Props {
  /** Unique prefix for the inputs' ids. */
  id: string;
  legend: string;
  value: unknown;
  onChange: (condition: unknown) => void;
  invalid?: boolean;
}

const blankClause = (): Clause => ({ field: 'category', op: '$prefix', value: '' });

function ClauseRow({
  id,
  n,
  clause,
  onChange,
  onRemove,
}: {
  id: string;
  n: number;
  clause: Clause;
  onChange: (c: Clause) => void;
  onRemove: () => void;
}) {
  const attribute = clause.field.startsWith(ATTRIBUTE_PREFIX);
  const ops = opsFor(clause.field);
  const boolean = clause.op === '$exists' || fieldType(clause.field) === 'boolean';
  const setField = (field: string) =>
    onChange({ ...clause, field, op: opsFor(field).includes(clause.op) ? clause.op : opsFor(field)[0] });
  return (
    <li class="row clause">
      <select
        aria-label={`Condition ${n}: field`}
        value={attribute ? ATTRIBUTE_PREFIX : clause.field}
        onChange={(e) => setField(e.currentTarget.value)}
      >
        {CONDITION_FIELDS.map((f) => (
          <option key={f.field} value={f.field}>
            {f.label}
          </option>
        ))}
        <option value={ATTRIBUTE_PREFIX}>attribute…</option>
      </select>
      {attribute && (
        <input
          id={`${id}-attr`}
          aria-label={`Condition ${n}: attribute name`}
          placeholder="margin"
          size={10}
          value={clause.field.slice(ATTRIBUTE_PREFIX.length)}
          onInput={(e) => onChange({ ...clause, field: `${ATTRIBUTE_PREFIX}${e.currentTarget.value}` })}
        />
      )}
      <select
        aria-label={`Condition ${n}: comparison`}
        value={clause.op}
        onChange={(e) => onChange({ ...clause, op: e.currentTarget.value as ConditionOp })}
      >
        {ops.map((op) => (
          <option key={op} value={op}>
            {OP_LABELS[op]}
          </option>
        ))}
      </select>
      {boolean ? (
        <select
          aria-label={`Condition ${n}: value`}
          value={clause.value === 'false' ? 'false' : 'true'}
          onChange={(e) => onChange({ ...clause, value: e.currentTarget.value })}
        >
          <option value="true">{clause.op === '$exists' ? 'yes' : 'true'}</option>
          <option value="false">{clause.op === '$exists' ? 'no' : 'false'}</option>
        </select>
      ) : (
        <input
          id={`${id}-value`}
          aria-label={`Condition ${n}: value`}
          placeholder={
            clause.op === '$in' || clause.op === '$nin'
              ? 'a, b, c'
              : fieldType(clause.field) === 'date'
                ? '2026-01-31'
                : clause.op === '$prefix'
                  ? 'Home/Lighting'
                  : ''
          }
          value={clause.value}
          onInput={(e) => onChange({ ...clause, value: e.currentTarget.value })}
        />
      )}
      <button type="button" class="small" aria-label={`Remove condition ${n}`} onClick={onRemove}>
        ×
      </button>
    </li>
  );
}

/**
 * A rule's `match` or `when` as a list of clauses joined by "and". A condition the clauses cannot show
 * ($or, $not, …) is edited as JSON in place; either way the draft holds the condition object.
 */
export function ConditionEditor({ id, legend, value, onChange, invalid }: Props) {
  const [clauses, setClauses] = useState<Clause[] | null>(() => toClauses(value));
  const [json, setJson] = useState(() => JSON.stringify(value ?? {}, null, 2));
  const [jsonMode, setJsonMode] = useState(() => toClauses(value) === null);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const emitted = useRef<unknown>(value);
  useEffect(() => {
    if (sameJson(value, emitted.current)) return;
    emitted.current = value;
    const c = toClauses(value);
    setClauses(c);
    setJson(JSON.stringify(value ?? {}, null, 2));
    if (c === null) setJsonMode(true);
  }, [value]);

  const emit = (next: unknown) => {
    emitted.current = next;
    onChange(next);
  };
  const setAll = (next: Clause[]) => {
    setClauses(next);
    const condition = fromClauses(next);
    setJson(JSON.stringify(condition ?? {}, null, 2));
    emit(condition);
  };

  return (
    <fieldset class="condition" aria-invalid={invalid ? 'true' : undefined}>
      <legend>{legend}</legend>
      {jsonMode || clauses === null ? (
        <>
          <label for={`${id}-json`} class="muted">
            Condition as JSON (MongoDB-style)
          </label>
          <textarea
            id={`${id}-json`}
            rows={4}
            spellcheck={false}
            value={json}
            onInput={(e) => {
              const text = e.currentTarget.value;
              setJson(text);
              try {
                const parsed: unknown = text.trim() === '' ? undefined : JSON.parse(text);
                setJsonError(null);
                setClauses(toClauses(parsed));
                emit(parsed);
              } catch (err) {
                setJsonError(err instanceof Error ? err.message : String(err));
              }
            }}
          />
          {jsonError && (
            <p class="field-error" role="alert">
              Not JSON yet: {jsonError}
            </p>
          )}
          {clauses !== null && (
            <button type="button" class="link" onClick={() => setJsonMode(false)}>
              Edit as a form
            </button>
          )}
        </>
      ) : (
        <>
          {clauses.length === 0 ? (
            <p class="muted">No condition yet.</p>
          ) : (
            <ol class="clauses" aria-label={`${legend}: all of`}>
              {clauses.map((c, i) => (
                <ClauseRow
                  key={i}
                  id={`${id}-${i}`}
                  n={i + 1}
                  clause={c}
                  onChange={(next) => setAll(clauses.map((x, j) => (j === i ? next : x)))}
                  onRemove={() => setAll(clauses.filter((_, j) => j !== i))}
                />
              ))}
            </ol>
          )}
          <div class="row">
            <button type="button" class="small" onClick={() => setAll([...clauses, blankClause()])}>
              Add a condition
            </button>
            <button type="button" class="link" onClick={() => setJsonMode(true)}>
              Edit as JSON
            </button>
          </div>
        </>
      )}
    </fieldset>
  );
}
