import { useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, ApiProblem } from '../api';
import { hasScope, useSession } from '../auth';
import { BoundInput, dateTimeField, numberField, textField } from '../components/bound-input';
import { RulesEditor } from '../components/rules-editor';
import { Empty, Loading, NeedsScope, ProblemBox } from '../components/states';
import { asText, errorsUnder, getIn, setIn, type Draft } from '../placement-draft';
import type { Experiment, ModelsResponse, StoredPlacement } from '../types';
import { EXPERIMENT_MODES } from '../types';
import { asProblem, useLoad } from '../use-api';
import { experimentHref } from './experiment';

type Errors = ReadonlyArray<{ path: string; message: string }>;

const START: Draft = {
  id: '',
  placement: '',
  mode: 'ab',
  variants: [{ id: 'control' }, { id: 'treatment' }],
};

function FieldErrors({ errors, path }: { errors: Errors; path: string }) {
  const mine = errorsUnder(errors, path).filter((e) => !e.path.startsWith(`${path}.rules`));
  if (mine.length === 0) return null;
  return (
    <p class="field-error">
      {mine.map((e) => (
        <span key={e.path}>
          <code>{e.path}</code>: {e.message}{' '}
        </span>
      ))}
    </p>
  );
}

function VariantEditor({
  index,
  count,
  variant,
  mode,
  versions,
  errors,
  onChange,
  onRemove,
}: {
  index: number;
  count: number;
  variant: unknown;
  mode: string;
  versions: Array<{ version: string; active: boolean }>;
  errors: Errors;
  onChange: (v: unknown) => void;
  onRemove: () => void;
}) {
  const at = `variants[${index}]`;
  const uid = `variant-${index}`;
  const set = (field: string, value: unknown) => onChange(setIn(variant, [field], value));
  const bad = (field: string) => errorsUnder(errors, `${at}.${field}`).length > 0;
  const strategy = asText(getIn(variant, ['strategy']));
  const model = asText(getIn(variant, ['modelVersion']));
  const hasRules = getIn(variant, ['rules']) !== undefined;
  return (
    <li class="rule" data-testid={uid}>
      <div class="row rule-head">
        <h3>
          Variant {index + 1}
          {index === 0 && <span class="muted"> (the control: lift and p-values are against it)</span>}
        </h3>
        <span class="spacer" />
        {count > 2 && (
          <button type="button" class="small danger" onClick={onRemove}>
            Remove<span class="sr-only"> variant {index + 1}</span>
          </button>
        )}
      </div>
      <div class="row fields">
        <div class="field">
          <label for={`${uid}-id`}>Id</label>
          <BoundInput
            id={`${uid}-id`}
            value={getIn(variant, ['id'])}
            {...textField}
            onValue={(v) => set('id', v)}
            invalid={bad('id')}
            size={14}
          />
        </div>
        {mode === 'ab' && (
          <div class="field">
            <label for={`${uid}-weight`}>Share of shoppers (weight)</label>
            <BoundInput
              id={`${uid}-weight`}
              value={getIn(variant, ['weight'])}
              {...numberField}
              onValue={(v) => set('weight', v)}
              inputMode="decimal"
              placeholder="1"
              invalid={bad('weight')}
              size={5}
            />
          </div>
        )}
        <div class="field">
          <label for={`${uid}-strategy`}>List</label>
          <select
            id={`${uid}-strategy`}
            value={strategy}
            aria-invalid={bad('strategy') ? 'true' : undefined}
            onChange={(ev) => set('strategy', ev.currentTarget.value || undefined)}
          >
            <option value="">the placement’s own</option>
            <option value="engine">the engine (personalised)</option>
            <option value="popular">popular items (no model)</option>
          </select>
        </div>
        <div class="field">
          <label for={`${uid}-model`}>Model version</label>
          <select
            id={`${uid}-model`}
            value={model}
            disabled={strategy === 'popular'}
            aria-invalid={bad('modelVersion') ? 'true' : undefined}
            onChange={(ev) => set('modelVersion', ev.currentTarget.value || undefined)}
          >
            <option value="">the active one, whichever it is</option>
            {model !== '' && !versions.some((v) => v.version === model) && (
              <option value={model}>{model}</option>
            )}
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
                {v.active ? ' (active now)' : ''}
              </option>
            ))}
          </select>
        </div>
      </div>
      <label class="row">
        <input
          type="checkbox"
          checked={hasRules}
          onChange={(ev) => set('rules', ev.currentTarget.checked ? [] : undefined)}
        />
        its own rules instead of the placement’s
      </label>
      {hasRules && (
        <RulesEditor
          legend={`Rules of ${asText(getIn(variant, ['id'])) || `variant ${index + 1}`}`}
          rules={getIn(variant, ['rules'])}
          path={`${at}.rules`}
          idPrefix={`${uid}-rule`}
          errors={errors}
          onChange={(rules) => set('rules', rules ?? [])}
        />
      )}
      <FieldErrors errors={errors} path={at} />
    </li>
  );
}

/** A new experiment as a form: the placement, A/B or interleaving, and each variant's list, model and rules. */
export function ExperimentNewPage() {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const [, navigate] = useLocation();
  const placements = useLoad(
    admin
      ? () => api<{ placements: StoredPlacement[] }>('/v1/admin/placements').then((r) => r.placements)
      : null,
    [admin],
  );
  const models = useLoad(admin ? () => api<ModelsResponse>('/v1/admin/models') : null, [admin]);
  const [draft, setDraft] = useState<Draft>(START);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  // Bumped when a variant is removed, so each variant's inputs start again from the draft.
  const [generation, setGeneration] = useState(0);

  if (!admin)
    return (
      <>
        <h1>New experiment</h1>
        <NeedsScope scope="admin" />
      </>
    );
  if (placements.state === 'loading' || placements.state === 'idle') return <Loading what="placements" />;
  if (placements.state === 'error') return <ProblemBox problem={placements.problem} />;
  if (placements.data.length === 0)
    return (
      <>
        <h1>New experiment</h1>
        <Empty>
          An experiment runs on a placement, and there is none yet:{' '}
          <Link href="/placements/new">create one</Link> first.
        </Empty>
      </>
    );

  const errors = problem?.errors ?? [];
  const set = (path: Array<string | number>, value: unknown) => setDraft(setIn(draft, path, value) as Draft);
  const bad = (path: string) => errorsUnder(errors, path).length > 0;
  const mode = asText(draft.mode);
  const variants: unknown[] = Array.isArray(draft.variants) ? (draft.variants as unknown[]) : [];
  const versions =
    models.state === 'ok'
      ? models.data.versions.map((v) => ({ version: v.version, active: v.version === models.data.active }))
      : [];
  const id = asText(draft.id).trim();

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (id === 'new') {
      const message = '“new” is this form’s own address: pick another id';
      setProblem(new ApiProblem(0, message, 'Invalid id', [{ path: 'id', message }]));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const created = await api<Experiment>('/v1/admin/experiments', { method: 'POST', body: draft });
      navigate(experimentHref(created.id));
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›
      </p>
      <h1>New experiment</h1>
      <form onSubmit={(ev) => void submit(ev)} aria-label="New experiment">
        <fieldset>
          <legend>What is tested</legend>
          <div class="row fields">
            <div class="field">
              <label for="x-id">Id</label>
              <BoundInput
                id="x-id"
                value={draft.id}
                {...textField}
                onValue={(v) => set(['id'], v ?? '')}
                invalid={bad('id')}
                placeholder="home-engine-vs-popular"
                size={24}
              />
            </div>
            <div class="field">
              <label for="x-placement">Placement</label>
              <select
                id="x-placement"
                value={asText(draft.placement)}
                aria-invalid={bad('placement') ? 'true' : undefined}
                onChange={(ev) => set(['placement'], ev.currentTarget.value)}
              >
                <option value="">choose…</option>
                {placements.data.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.id} ({p.kind})
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="x-mode">Mode</label>
              <select
                id="x-mode"
                value={mode}
                onChange={(ev) => {
                  const next = ev.currentTarget.value;
                  // Interleaving compares exactly two variants and gives every shopper both: no weights.
                  const vs = (next === 'interleave' ? variants.slice(0, 2) : variants).map((v) =>
                    next === 'interleave' ? setIn(v, ['weight'], undefined) : v,
                  );
                  setDraft({ ...draft, mode: next, variants: vs });
                  setGeneration((g) => g + 1);
                }}
              >
                {EXPERIMENT_MODES.map((m) => (
                  <option key={m} value={m}>
                    {m === 'ab'
                      ? 'A/B: each shopper sees one variant'
                      : 'interleaving: both variants in one list'}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="x-start">Starts (optional)</label>
              <BoundInput
                id="x-start"
                type="datetime-local"
                value={draft.startAt}
                {...dateTimeField}
                onValue={(v) => set(['startAt'], v)}
                invalid={bad('startAt')}
              />
            </div>
            <div class="field">
              <label for="x-end">Ends (optional)</label>
              <BoundInput
                id="x-end"
                type="datetime-local"
                value={draft.endAt}
                {...dateTimeField}
                onValue={(v) => set(['endAt'], v)}
                invalid={bad('endAt')}
              />
            </div>
          </div>
          {['id', 'placement', 'mode', 'startAt', 'endAt'].map((p) => (
            <FieldErrors key={p} errors={errors} path={p} />
          ))}
        </fieldset>
        <fieldset>
          <legend>Variants ({variants.length})</legend>
          <ol class="rules">
            {variants.map((v, i) => (
              <VariantEditor
                key={`${generation}-${i}`}
                index={i}
                count={variants.length}
                variant={v}
                mode={mode}
                versions={versions}
                errors={errors}
                onChange={(next) => set(['variants', i], next)}
                onRemove={() => {
                  set(
                    ['variants'],
                    variants.filter((_, j) => j !== i),
                  );
                  setGeneration((g) => g + 1);
                }}
              />
            ))}
          </ol>
          {errorsUnder(errors, 'variants')
            .filter((e) => e.path === 'variants')
            .map((e) => (
              <p key={e.message} class="field-error">
                <code>variants</code>: {e.message}
              </p>
            ))}
          {mode === 'ab' && (
            <button
              type="button"
              onClick={() => set(['variants'], [...variants, { id: `variant-${variants.length + 1}` }])}
            >
              Add a variant
            </button>
          )}
        </fieldset>
        <div class="row actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Starting…' : 'Start the experiment'}
          </button>
        </div>
      </form>
      {problem && <ProblemBox problem={problem} />}
    </>
  );
}
