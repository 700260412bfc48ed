import { useEffect, useRef, useState } from 'preact/hooks';
import { Link, useLocation, useSearch } from 'wouter-preact';
import { api, enc, type ApiProblem } from '../api';
import { hasScope, useSession } from '../auth';
import { PlacementForm } from '../components/placement-form';
import { PlacementPreview } from '../components/placement-preview';
import { Revisions } from '../components/revisions';
import { Empty, Loading, NeedsScope, ProblemBox } from '../components/states';
import { fmtTime } from '../format';
import { asDraft, definitionOf, sameJson, type Draft } from '../placement-draft';
import type { PreviewContext, StoredPlacement } from '../types';
import { asProblem, useLoad } from '../use-api';
import { placementHref } from './placements';

const ID_PATTERN = /^[A-Za-z0-9\-_.:@/]{1,128}$/;
const NEW_DRAFT: Draft = { kind: 'for-you', limit: 10 };

/** Which shopper each kind of list is computed for (api.md: the context a kind needs). */
function contextFor(
  kind: string,
  params: URLSearchParams,
): { context: PreviewContext; missing: string | null } {
  const user = params.get('user') ?? undefined;
  const item = params.get('item') ?? undefined;
  const cart = (params.get('cart') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const text = params.get('q') ?? undefined;
  const context: PreviewContext = {
    ...(user ? { userId: user } : {}),
    ...(item ? { itemId: item } : {}),
    ...(cart.length > 0 ? { itemIds: cart } : {}),
    ...(text ? { text } : {}),
  };
  const missing =
    (kind === 'for-you' || kind === 'buy-again') && !user
      ? 'a shopper (user id)'
      : kind === 'similar' && !item
        ? 'an item id'
        : kind === 'complements' && !item && cart.length === 0
          ? 'a cart (item ids) or an item id'
          : kind === 'search' && !text
            ? 'a search text'
            : null;
  return { context, missing };
}

function ContextForm({
  kind,
  params,
  onApply,
}: {
  kind: string;
  params: URLSearchParams;
  onApply: (p: URLSearchParams) => void;
}) {
  const [values, setValues] = useState(() => ({
    user: params.get('user') ?? '',
    item: params.get('item') ?? '',
    cart: params.get('cart') ?? '',
    q: params.get('q') ?? '',
  }));
  const fields: Array<[keyof typeof values, string]> = [];
  if (kind === 'for-you' || kind === 'buy-again') fields.push(['user', 'Shopper (user id)']);
  if (kind === 'similar' || kind === 'complements') fields.push(['item', 'Viewed item id']);
  if (kind === 'complements') fields.push(['cart', 'Cart (item ids, comma-separated)']);
  if (kind === 'search') fields.push(['q', 'Search text']);
  if (fields.length === 0) return <p class="muted">A {kind} list is the same for every shopper.</p>;
  return (
    <form
      class="row"
      aria-label="Preview for"
      onSubmit={(e) => {
        e.preventDefault();
        const next = new URLSearchParams();
        for (const [k] of fields) if (values[k].trim()) next.set(k, values[k].trim());
        onApply(next);
      }}
    >
      {fields.map(([k, label]) => (
        <span class="row" key={k} style={{ margin: 0 }}>
          <label for={`ctx-${k}`}>{label}</label>
          <input
            id={`ctx-${k}`}
            value={values[k]}
            onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })}
          />
        </span>
      ))}
      <button type="submit">Preview</button>
    </form>
  );
}

function ConfirmDelete({
  id,
  onCancel,
  onConfirm,
}: {
  id: string;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => dialog.current?.showModal(), []);
  return (
    <dialog ref={dialog} aria-labelledby="delete-h" onClose={onCancel}>
      <h2 id="delete-h">Delete {id}?</h2>
      <p>The placement and all its revisions are deleted; a storefront asking for it gets 404.</p>
      <div class="row">
        <button type="button" class="primary danger" onClick={onConfirm}>
          Delete {id}
        </button>
        <button type="button" onClick={() => dialog.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** Create or edit one placement: the form (or raw JSON), the live preview beside the stored list, revisions. */
export function PlacementEditPage({ id: routeId }: { id: string }) {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const isNew = routeId === 'new';
  const [location, navigate] = useLocation();
  const params = new URLSearchParams(useSearch());
  const stored = useLoad(
    admin && !isNew ? () => api<StoredPlacement>(`/v1/admin/placements/${enc(routeId)}`) : null,
    [admin, routeId],
  );
  const [current, setCurrent] = useState<StoredPlacement | null>(null);
  const [draft, setDraft] = useState<Draft>(NEW_DRAFT);
  const [newId, setNewId] = useState('');
  const [saveProblem, setSaveProblem] = useState<ApiProblem | null>(null);
  const [previewProblem, setPreviewProblem] = useState<ApiProblem | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [deleting, setDeleting] = useState(false);

  const adopt = (p: StoredPlacement) => {
    setCurrent(p);
    setDraft(definitionOf(p));
    setSaveProblem(null);
  };
  useEffect(() => {
    if (stored.state === 'ok') adopt(stored.data);
  }, [stored.state === 'ok' ? stored.data : null]);

  if (!admin)
    return (
      <>
        <h1>Placement</h1>
        <NeedsScope scope="admin" />
      </>
    );
  // The draft is the stored placement from the first render on (the preview asks for it at once).
  if (!isNew && stored.state === 'ok' && current?.id !== stored.data.id)
    return <Loading what={`placement ${routeId}`} />;
  if (!isNew && (stored.state === 'loading' || stored.state === 'idle'))
    return <Loading what={`placement ${routeId}`} />;
  if (!isNew && stored.state === 'error')
    return (
      <>
        <h1>Placement {routeId}</h1>
        <ProblemBox problem={stored.problem} />
        <p>
          <Link href="/placements">All placements</Link>
        </p>
      </>
    );

  const id = isNew ? newId.trim() : routeId;
  const idProblem = !isNew
    ? null
    : id === ''
      ? 'Name the placement (its id) to preview and save it.'
      : !ID_PATTERN.test(id)
        ? 'An id is 1–128 letters, digits and - _ . : @ /.'
        : id === 'new'
          ? '“new” is this form’s own address: pick another id.'
          : null;
  const dirty = isNew || !current || !sameJson(draft, definitionOf(current));
  const kind = typeof draft.kind === 'string' ? draft.kind : '';
  const { context, missing } = contextFor(kind, params);
  const errors = (saveProblem ?? previewProblem)?.errors ?? [];

  const save = async () => {
    setSaving(true);
    setSaveProblem(null);
    setMessage(null);
    try {
      if (isNew) {
        const exists = await api<StoredPlacement>(`/v1/admin/placements/${enc(id)}`).catch(() => null);
        if (exists) {
          setMessage(`A placement named ${id} exists already: open it from the list to change it.`);
          return;
        }
      }
      const saved = await api<StoredPlacement>(`/v1/admin/placements/${enc(id)}`, {
        method: 'PUT',
        body: draft,
      });
      setMessage(`Saved: revision ${saved.revision} is in service.`);
      if (isNew) navigate(`${placementHref(id)}${params.size > 0 ? `?${params.toString()}` : ''}`);
      else adopt(saved);
    } catch (e) {
      setSaveProblem(asProblem(e));
    } finally {
      setSaving(false);
    }
  };

  const remove = async () => {
    setDeleting(false);
    try {
      await api(`/v1/admin/placements/${enc(id)}`, { method: 'DELETE' });
      navigate('/placements');
    } catch (e) {
      setSaveProblem(asProblem(e));
    }
  };

  return (
    <>
      <p class="crumbs">
        <Link href="/placements">Placements</Link> ›
      </p>
      <h1>{isNew ? 'New placement' : `Placement ${routeId}`}</h1>
      {current && (
        <p class="muted" data-testid="placement-meta">
          revision {current.revision} · changed {fmtTime(current.updatedAt)} by{' '}
          <code>{current.updatedBy}</code>
        </p>
      )}
      {isNew && (
        <div class="field">
          <label for="p-id">Id (what a storefront asks for)</label>
          <input
            id="p-id"
            value={newId}
            placeholder="home-for-you"
            onInput={(e) => setNewId(e.currentTarget.value)}
          />
          {idProblem && id !== '' && <span class="field-error">{idProblem}</span>}
        </div>
      )}

      <PlacementForm draft={draft} onChange={setDraft} errors={errors} />

      <div class="row actions">
        <button
          type="button"
          class="primary"
          disabled={saving || !dirty || idProblem !== null}
          onClick={() => void save()}
        >
          {saving ? 'Saving…' : isNew ? 'Create the placement' : 'Save as a new revision'}
        </button>
        {!isNew && current && dirty && (
          <button type="button" onClick={() => adopt(current)}>
            Discard changes
          </button>
        )}
        {dirty && !isNew && <span class="muted">unsaved changes</span>}
        <span class="spacer" />
        {!isNew && (
          <button type="button" class="danger" onClick={() => setDeleting(true)}>
            Delete placement
          </button>
        )}
      </div>
      {message && (
        <p role="status" class="muted" data-testid="save-message">
          {message}
        </p>
      )}
      {saveProblem && <ProblemBox problem={saveProblem} />}

      <section aria-labelledby="preview-h">
        <h2 id="preview-h">Preview: the list before and after this draft</h2>
        <ContextForm
          key={`${kind}|${params.toString()}`}
          kind={kind}
          params={params}
          onApply={(p) => navigate(`${location}${p.size > 0 ? `?${p.toString()}` : ''}`, { replace: true })}
        />
        {idProblem ? (
          <Empty>{idProblem}</Empty>
        ) : missing ? (
          <Empty>Choose {missing} to see what this placement shows them.</Empty>
        ) : (
          <PlacementPreview placementId={id} draft={draft} context={context} onProblem={setPreviewProblem} />
        )}
      </section>

      {!isNew && current && (
        <section aria-labelledby="revisions-h">
          <h2 id="revisions-h">Revisions</h2>
          <Revisions
            placementId={routeId}
            current={current.revision}
            onRestored={(p, from) => {
              adopt(p);
              setMessage(`Restored revision ${from}: it is in service as revision ${p.revision}.`);
            }}
            onEdit={(definition, revision) => {
              setDraft(asDraft(definition));
              setMessage(`Editing from revision ${revision}: save to make it a new revision.`);
            }}
          />
        </section>
      )}
      {deleting && (
        <ConfirmDelete id={id} onCancel={() => setDeleting(false)} onConfirm={() => void remove()} />
      )}
    </>
  );
}
