import { useEffect, useRef, useState } from 'preact/hooks';
import { asText, errorsUnder, getIn, sameJson, setIn, type Draft } from '../placement-draft';
import { PLACEMENT_KINDS } from '../types';
import { BoundInput, numberField, textField } from './bound-input';
import { RulesEditor } from './rules-editor';

const KIND_HELP: Record<string, string> = {
  'for-you': 'a shopper’s personalised list (needs a user)',
  similar: 'items like the viewed item (needs an item)',
  complements: 'bought with the cart’s items (needs item ids)',
  'buy-again': 'the shopper’s own re-orderable items (needs a user)',
  trending: 'most bought in the last 30 days',
  'new-arrivals': 'newest items first',
  search: 'a text query over the catalog (needs text)',
};

type Errors = ReadonlyArray<{ path: string; message: string }>;

interface Props {
  draft: Draft;
  onChange: (d: Draft) => void;
  errors: Errors;
}

function FieldErrors({ errors, path }: { errors: Errors; path: string }) {
  const mine = errorsUnder(errors, path);
  if (mine.length === 0) return null;
  return (
    <span class="field-error">
      {mine.map((e) => (
        <span key={e.path}>
          <code>{e.path}</code>: {e.message}{' '}
        </span>
      ))}
    </span>
  );
}

/** The raw-JSON tab: the whole draft as text; text that does not parse leaves the draft as it was. */
function RawJson({ draft, onChange }: Props) {
  const [text, setText] = useState(() => JSON.stringify(draft, null, 2));
  const [error, setError] = useState<string | null>(null);
  const emitted = useRef<unknown>(draft);
  useEffect(() => {
    if (sameJson(draft, emitted.current)) return;
    emitted.current = draft;
    setText(JSON.stringify(draft, null, 2));
    setError(null);
  }, [draft]);
  return (
    <div>
      <label for="placement-json">The placement as JSON (the body of PUT /v1/admin/placements/:id)</label>
      <textarea
        id="placement-json"
        class="json"
        rows={22}
        spellcheck={false}
        value={text}
        onInput={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          try {
            const parsed: unknown = JSON.parse(t);
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
              throw new Error('a placement is a JSON object');
            setError(null);
            emitted.current = parsed;
            onChange(parsed as Draft);
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
      />
      {error && (
        <p class="field-error" role="alert">
          Not applied — not valid JSON yet: {error}
        </p>
      )}
    </div>
  );
}

function Form({ draft, onChange, errors }: Props) {
  const set = (path: Array<string | number>, value: unknown) => onChange(setIn(draft, path, value) as Draft);
  const kind = asText(getIn(draft, ['kind']));
  const bad = (path: string) => errorsUnder(errors, path).length > 0;
  const filterFlag = (name: 'inStockOnly' | 'excludePurchased', fallback: boolean) => {
    const v = getIn(draft, ['filters', name]);
    return typeof v === 'boolean' ? v : fallback;
  };

  return (
    <>
      <fieldset>
        <legend>The list</legend>
        <div class="row fields">
          <div class="field">
            <label for="p-kind">Kind</label>
            <select
              id="p-kind"
              value={kind}
              aria-invalid={bad('kind') ? 'true' : undefined}
              onChange={(e) => set(['kind'], e.currentTarget.value)}
            >
              {!PLACEMENT_KINDS.includes(kind as never) && <option value={kind}>{kind || 'choose…'}</option>}
              {PLACEMENT_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
          <div class="field grow">
            <label for="p-title">Title</label>
            <BoundInput
              id="p-title"
              value={draft.title}
              {...textField}
              onValue={(v) => set(['title'], v)}
              invalid={bad('title')}
              size={30}
            />
          </div>
          <div class="field">
            <label for="p-limit">Items (limit)</label>
            <BoundInput
              id="p-limit"
              value={draft.limit}
              {...numberField}
              onValue={(v) => set(['limit'], v)}
              inputMode="numeric"
              placeholder="10"
              invalid={bad('limit')}
              size={4}
            />
          </div>
          <div class="field">
            <label for="p-diversity">Diversity (0–1)</label>
            <BoundInput
              id="p-diversity"
              value={draft.diversity}
              {...numberField}
              onValue={(v) => set(['diversity'], v)}
              inputMode="decimal"
              invalid={bad('diversity')}
              size={4}
            />
          </div>
        </div>
        {KIND_HELP[kind] && <p class="muted help">{KIND_HELP[kind]}</p>}
        {['kind', 'title', 'limit', 'diversity'].map((p) => (
          <FieldErrors key={p} errors={errors} path={p} />
        ))}
      </fieldset>

      <fieldset>
        <legend>The page’s filters</legend>
        <div class="row fields">
          <div class="field grow">
            <label for="f-category">Category (prefix)</label>
            <BoundInput
              id="f-category"
              value={getIn(draft, ['filters', 'category'])}
              {...textField}
              onValue={(v) => set(['filters', 'category'], v)}
              placeholder="Home/Lighting"
              invalid={bad('filters.category')}
            />
          </div>
          <div class="field">
            <label for="f-min">Min price</label>
            <BoundInput
              id="f-min"
              value={getIn(draft, ['filters', 'minPrice'])}
              {...numberField}
              onValue={(v) => set(['filters', 'minPrice'], v)}
              inputMode="decimal"
              invalid={bad('filters.minPrice')}
              size={6}
            />
          </div>
          <div class="field">
            <label for="f-max">Max price</label>
            <BoundInput
              id="f-max"
              value={getIn(draft, ['filters', 'maxPrice'])}
              {...numberField}
              onValue={(v) => set(['filters', 'maxPrice'], v)}
              inputMode="decimal"
              invalid={bad('filters.maxPrice')}
              size={6}
            />
          </div>
          <label class="row">
            <input
              type="checkbox"
              checked={filterFlag('inStockOnly', true)}
              onChange={(e) => set(['filters', 'inStockOnly'], e.currentTarget.checked ? undefined : false)}
            />
            in stock only
          </label>
          <label class="row">
            <input
              type="checkbox"
              checked={filterFlag('excludePurchased', false)}
              onChange={(e) =>
                set(['filters', 'excludePurchased'], e.currentTarget.checked ? true : undefined)
              }
            />
            leave out what the shopper bought
          </label>
        </div>
        <FieldErrors errors={errors} path="filters" />
      </fieldset>

      <RulesEditor
        rules={draft.rules}
        path="rules"
        idPrefix="rule"
        errors={errors}
        onChange={(rules) => set(['rules'], rules)}
      />
    </>
  );
}

/** A placement's definition, edited as a form or as raw JSON (tabs); both change the one draft. */
export function PlacementForm(props: Props) {
  const [tab, setTab] = useState<'form' | 'json'>('form');
  const tabButton = (id: 'form' | 'json', label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={tab === id}
      aria-controls={`panel-${id}`}
      class={tab === id ? 'tab active' : 'tab'}
      onClick={() => setTab(id)}
    >
      {label}
    </button>
  );
  return (
    <div class="placement-form">
      <div role="tablist" aria-label="Edit the placement as" class="tabs">
        {tabButton('form', 'Form')}
        {tabButton('json', 'Raw JSON')}
      </div>
      {/* Both panels stay mounted (the hidden one in sync with the draft), so each tab names a real panel. */}
      <div role="tabpanel" id="panel-form" aria-labelledby="tab-form" hidden={tab !== 'form'}>
        <Form {...props} />
      </div>
      <div role="tabpanel" id="panel-json" aria-labelledby="tab-json" hidden={tab !== 'json'}>
        <RawJson {...props} />
      </div>
    </div>
  );
}
