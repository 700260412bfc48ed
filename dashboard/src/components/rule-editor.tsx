import { asText, getIn, ruleKey, setIn, withAction } from '../placement-draft';
import { RULE_ACTIONS } from '../types';
import { BoundInput, dateTimeField, listField, numberField, textField } from './bound-input';
import { ConditionEditor } from './condition-editor';

const ACTION_HELP: Record<string, string> = {
  boost: 'multiplies the score of matching items by the weight (> 1), moving them up',
  bury: 'multiplies the score of matching items by the weight (< 1), moving them down',
  filter: 'removes matching items from the list',
  pin: 'puts these items at this position whenever they pass the page’s filters',
  promote: 'reserves a share of the list for the best-ranked matching items',
};

interface Props {
  /** The rule's path in the request body, as the API names it in problems (`rules[2]`, `variants[1].rules[0]`). */
  at: string;
  /** Prefix of the inputs' ids and the rule's test id, unique on the page. */
  uid: string;
  index: number;
  count: number;
  rule: unknown;
  errors: Array<{ path: string; message: string }>;
  onChange: (rule: unknown) => void;
  onRemove: () => void;
  onMove: (by: -1 | 1) => void;
}

/** One rule of the draft as a form; every field writes straight into the draft. */
export function RuleEditor({ at, uid, index, count, rule, errors, onChange, onRemove, onMove }: Props) {
  const action = asText(getIn(rule, ['action']));
  const set = (field: string, value: unknown) => onChange(setIn(rule, [field], value));
  const bad = (field: string) =>
    errors.some((e) => e.path === `${at}.${field}` || e.path.startsWith(`${at}.${field}.`));
  const hasWhen = getIn(rule, ['when']) !== undefined;
  const errorsId = `${uid}-errors`;
  const field = (name: string, label: string, input: preact.ComponentChildren) => (
    <div class="field">
      <label for={`${uid}-${name}`}>{label}</label>
      {input}
    </div>
  );

  return (
    <li class={`rule${errors.length > 0 ? ' has-errors' : ''}`} data-testid={uid}>
      <div class="row rule-head">
        <h3 id={`${uid}-h`}>
          Rule {index + 1} <code>{ruleKey(rule, index)}</code>
        </h3>
        <span class="spacer" />
        <button type="button" class="small" disabled={index === 0} onClick={() => onMove(-1)}>
          Move up<span class="sr-only"> rule {index + 1}</span>
        </button>
        <button type="button" class="small" disabled={index === count - 1} onClick={() => onMove(1)}>
          Move down<span class="sr-only"> rule {index + 1}</span>
        </button>
        <button type="button" class="small danger" onClick={onRemove}>
          Remove<span class="sr-only"> rule {index + 1}</span>
        </button>
      </div>
      <div class="row fields">
        {field(
          'id',
          'Name (optional)',
          <BoundInput
            id={`${uid}-id`}
            value={getIn(rule, ['id'])}
            {...textField}
            onValue={(v) => set('id', v)}
            invalid={bad('id')}
            placeholder={`rules[${index}]`}
            size={16}
          />,
        )}
        {field(
          'action',
          'Action',
          <select
            id={`${uid}-action`}
            value={action}
            aria-invalid={bad('action') ? 'true' : undefined}
            onChange={(e) => onChange(withAction(rule, e.currentTarget.value))}
          >
            {!RULE_ACTIONS.includes(action as never) && <option value={action}>{action || 'choose…'}</option>}
            {RULE_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>,
        )}
        {(action === 'boost' || action === 'bury') &&
          field(
            'weight',
            action === 'boost' ? 'Weight (> 1)' : 'Weight (< 1)',
            <BoundInput
              id={`${uid}-weight`}
              value={getIn(rule, ['weight'])}
              {...numberField}
              onValue={(v) => set('weight', v)}
              inputMode="decimal"
              invalid={bad('weight')}
              size={6}
            />,
          )}
        {action === 'promote' &&
          field(
            'share',
            'Share of the list (0–1)',
            <BoundInput
              id={`${uid}-share`}
              value={getIn(rule, ['share'])}
              {...numberField}
              onValue={(v) => set('share', v)}
              inputMode="decimal"
              invalid={bad('share')}
              size={6}
            />,
          )}
        {action === 'pin' && (
          <>
            {field(
              'itemIds',
              'Item ids (comma-separated)',
              <BoundInput
                id={`${uid}-itemIds`}
                value={getIn(rule, ['itemIds'])}
                {...listField}
                onValue={(v) => set('itemIds', v)}
                invalid={bad('itemIds')}
                size={24}
              />,
            )}
            {field(
              'position',
              'Position (1 = first)',
              <BoundInput
                id={`${uid}-position`}
                value={getIn(rule, ['position'])}
                {...numberField}
                onValue={(v) => set('position', v)}
                inputMode="numeric"
                invalid={bad('position')}
                size={4}
              />,
            )}
          </>
        )}
        {field(
          'from',
          'In force from',
          <BoundInput
            id={`${uid}-from`}
            type="datetime-local"
            value={getIn(rule, ['from'])}
            {...dateTimeField}
            onValue={(v) => set('from', v)}
            invalid={bad('from')}
          />,
        )}
        {field(
          'until',
          'until',
          <BoundInput
            id={`${uid}-until`}
            type="datetime-local"
            value={getIn(rule, ['until'])}
            {...dateTimeField}
            onValue={(v) => set('until', v)}
            invalid={bad('until')}
          />,
        )}
      </div>
      {ACTION_HELP[action] && <p class="muted help">{ACTION_HELP[action]}.</p>}
      {action !== 'pin' && action !== '' && (
        <ConditionEditor
          id={`${uid}-match`}
          legend="Items where"
          value={getIn(rule, ['match'])}
          onChange={(c) => set('match', c)}
          invalid={bad('match')}
        />
      )}
      <label class="row">
        <input
          type="checkbox"
          checked={hasWhen}
          onChange={(e) => set('when', e.currentTarget.checked ? { category: { $prefix: '' } } : undefined)}
        />
        only when the viewed or carted item matches
      </label>
      {hasWhen && (
        <ConditionEditor
          id={`${uid}-when`}
          legend="The viewed or carted item is one where"
          value={getIn(rule, ['when'])}
          onChange={(c) => set('when', c)}
          invalid={bad('when')}
        />
      )}
      {errors.length > 0 && (
        <ul class="field-errors" id={errorsId} aria-label={`Problems with rule ${index + 1}`}>
          {errors.map((e) => (
            <li key={e.path + e.message}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
