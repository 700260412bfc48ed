import { useState } from 'preact/hooks';
import { errorsUnder } from '../placement-draft';
import { RuleEditor } from './rule-editor';

type Errors = ReadonlyArray<{ path: string; message: string }>;

/**
 * An ordered list of rules (a placement's, or an experiment variant's), each a form; `path` is where the list
 * sits in the request body, so the API's problems land beside the rule they name.
 */
export function RulesEditor({
  rules: value,
  path,
  idPrefix,
  errors,
  onChange,
  legend = 'Rules',
}: {
  rules: unknown;
  path: string;
  idPrefix: string;
  errors: Errors;
  onChange: (rules: unknown[] | undefined) => void;
  legend?: string;
}) {
  // Bumped on structural changes (a rule removed or moved) so every rule's inputs start again from the draft.
  const [generation, setGeneration] = useState(0);
  const rules: unknown[] = Array.isArray(value) ? (value as unknown[]) : [];
  const setRules = (next: unknown[], structural: boolean) => {
    onChange(next.length === 0 ? undefined : next);
    if (structural) setGeneration((g) => g + 1);
  };
  const listErrors = errorsUnder(errors, path).filter((e) => !e.path.startsWith(`${path}[`));
  return (
    <fieldset>
      <legend>
        {legend} ({rules.length}), applied in this order
      </legend>
      {rules.length === 0 && <p class="muted">No rules: the list is the engine’s own.</p>}
      <ol class="rules">
        {rules.map((r, i) => (
          <RuleEditor
            key={`${generation}-${i}`}
            at={`${path}[${i}]`}
            uid={`${idPrefix}-${i}`}
            index={i}
            count={rules.length}
            rule={r}
            errors={errorsUnder(errors, `${path}[${i}]`)}
            onChange={(next) =>
              setRules(
                rules.map((x, j) => (j === i ? next : x)),
                false,
              )
            }
            onRemove={() =>
              setRules(
                rules.filter((_, j) => j !== i),
                true,
              )
            }
            onMove={(by) => {
              const next = [...rules];
              [next[i], next[i + by]] = [next[i + by], next[i]];
              setRules(next, true);
            }}
          />
        ))}
      </ol>
      {listErrors.map((e) => (
        <p key={e.path + e.message} class="field-error">
          <code>{e.path}</code>: {e.message}
        </p>
      ))}
      <button type="button" onClick={() => setRules([...rules, { action: 'boost', weight: 1.5 }], false)}>
        Add a rule
      </button>
    </fieldset>
  );
}
