import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { api, enc, type ApiProblem } from '../api';
import { hasScope, useSession } from '../auth';
import { ExperimentCharts } from '../components/experiment-charts';
import { SortableTable, type Column } from '../components/sortable-table';
import { Loading, NeedsScope, ProblemBox } from '../components/states';
import {
  fmtInt,
  fmtLift,
  fmtMoney,
  fmtMoneyInterval,
  fmtNum,
  fmtP,
  fmtPct,
  fmtPctInterval,
  fmtTime,
} from '../format';
import type { Experiment, VariantResult } from '../types';
import { asProblem, useLoad } from '../use-api';
import { placementHref } from './placements';

/** While an experiment runs its figures are asked for again this often. */
const WATCH_MS = 10_000;
const SIGNIFICANT = 0.05;

export const experimentHref = (id: string) => `/experiments/${enc(id)}`;

const isLive = (status: string) => status === 'running' || status === 'scheduled';

function setupOf(v: VariantResult): string {
  const parts = [
    v.strategy ? `strategy ${v.strategy}` : null,
    v.modelVersion ? `model ${v.modelVersion}` : null,
    v.rules ? `${v.rules.length} rule${v.rules.length === 1 ? '' : 's'}` : null,
  ].filter(Boolean);
  return parts.length === 0 ? 'the placement as configured' : parts.join(' · ');
}

function Confirm({
  title,
  children,
  action,
  onCancel,
  onConfirm,
}: {
  title: string;
  children: preact.ComponentChildren;
  action: string;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => dialog.current?.showModal(), []);
  return (
    <dialog ref={dialog} aria-labelledby="confirm-h" onClose={onCancel}>
      <h2 id="confirm-h">{title}</h2>
      {children}
      <div class="row">
        <button type="button" class="primary" onClick={onConfirm}>
          {action}
        </button>
        <button type="button" onClick={() => dialog.current?.close()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** What the figures say, in words: each variant against the control, or the interleaving's wins. */
function Verdict({ e }: { e: Experiment }) {
  const [control, ...others] = e.variants;
  if (!control) return null;
  if (e.mode === 'interleave' && e.interleaving) {
    const { wins, losses, ties, pValue } = e.interleaving;
    const second = e.variants[1]?.id ?? 'the second variant';
    const leader = wins > losses ? second : losses > wins ? control.id : null;
    return (
      <p data-testid="verdict">
        {leader
          ? `${leader} won more interleaved lists (${fmtInt(Math.max(wins, losses))} to ${fmtInt(Math.min(wins, losses))}, ${fmtInt(ties)} ties)`
          : `No variant won more interleaved lists (${fmtInt(wins)} each way, ${fmtInt(ties)} ties)`}
        ; sign test p = {fmtP(pValue)}
        {pValue < SIGNIFICANT ? ', significant at 5 %.' : ', not significant at 5 %.'}
      </p>
    );
  }
  return (
    <ul data-testid="verdict">
      {others.map((v) => (
        <li key={v.id}>
          <strong>{v.id}</strong>: CTR {fmtLift(v.lift)} against {control.id}
          {v.pValue !== undefined && (
            <>
              , p = {fmtP(v.pValue)}
              {v.pValue < SIGNIFICANT ? ' (significant at 5 %)' : ' (not significant at 5 %)'}
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function VariantsTable({ e, onPromote }: { e: Experiment; onPromote: (variant: string) => void }) {
  const control = e.variants[0]?.id;
  const columns: Column<VariantResult>[] = [
    {
      key: 'variant',
      label: 'Variant',
      sort: (v) => v.id,
      render: (v) => (
        <>
          <strong>{v.id}</strong>
          {v.id === control && <span class="badge"> control</span>}
          {e.promotedVariant === v.id && <span class="badge active"> promoted</span>}
          <br />
          <small class="muted">{setupOf(v)}</small>
        </>
      ),
    },
    ...(e.mode === 'ab'
      ? [
          {
            key: 'weight',
            label: 'Weight',
            numeric: true,
            sort: (v: VariantResult) => v.weight ?? 1,
            render: (v: VariantResult) => fmtNum(v.weight ?? 1),
          },
        ]
      : []),
    { key: 'users', label: 'Users', numeric: true, sort: (v) => v.users, render: (v) => fmtInt(v.users) },
    { key: 'lists', label: 'Lists', numeric: true, sort: (v) => v.lists, render: (v) => fmtInt(v.lists) },
    { key: 'clicks', label: 'Clicks', numeric: true, sort: (v) => v.clicks, render: (v) => fmtInt(v.clicks) },
    {
      key: 'ctr',
      label: 'CTR (95 % interval)',
      numeric: true,
      sort: (v) => v.ctr,
      render: (v) => (
        <>
          {fmtPct(v.ctr)}
          <br />
          <small class="muted">{fmtPctInterval(v.ctrInterval)}</small>
        </>
      ),
    },
    {
      key: 'conversions',
      label: 'Conversions',
      numeric: true,
      sort: (v) => v.conversions,
      render: (v) => (
        <>
          {fmtInt(v.conversions)}
          {v.conversionRate !== undefined && (
            <>
              <br />
              <small class="muted">
                {fmtPct(v.conversionRate)} per list ({fmtPctInterval(v.conversionRateInterval)})
              </small>
            </>
          )}
        </>
      ),
    },
    {
      key: 'revenue',
      label: 'Revenue',
      numeric: true,
      sort: (v) => v.revenue,
      render: (v) => (
        <>
          {fmtMoney(v.revenue)}
          {v.revenuePerList !== undefined && (
            <>
              <br />
              <small class="muted">
                {fmtMoney(v.revenuePerList)} per list ({fmtMoneyInterval(v.revenuePerListInterval)})
              </small>
            </>
          )}
        </>
      ),
    },
    { key: 'lift', label: 'CTR lift', numeric: true, sort: (v) => v.lift, render: (v) => fmtLift(v.lift) },
    { key: 'p', label: 'p-value', numeric: true, sort: (v) => v.pValue, render: (v) => fmtP(v.pValue) },
    {
      key: 'actions',
      label: 'Actions',
      render: (v) =>
        e.promotedVariant ? null : (
          <button type="button" class="small" onClick={() => onPromote(v.id)}>
            Promote {v.id}
          </button>
        ),
    },
  ];
  return (
    <SortableTable
      testId="variants"
      caption="Per variant: served lists, clicks and CTR with its 95 % interval, conversions, revenue; lift and p-value against the control"
      rows={e.variants}
      columns={columns}
      rowKey={(v) => v.id}
    />
  );
}

/** One experiment, watched: per-variant results with intervals (table and charts), stop and promote. */
export function ExperimentPage({ id }: { id: string }) {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const loaded = useLoad(admin ? () => api<Experiment>(`/v1/admin/experiments/${enc(id)}`) : null, [
    admin,
    id,
  ]);
  const [confirm, setConfirm] = useState<{ kind: 'stop' } | { kind: 'promote'; variant: string } | null>(
    null,
  );
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const live = loaded.state === 'ok' && isLive(loaded.data.status);
  useEffect(() => {
    if (!live) return;
    const timer = window.setInterval(() => loaded.reload(), WATCH_MS);
    return () => window.clearInterval(timer);
  }, [live]);

  if (!admin)
    return (
      <>
        <h1>Experiment</h1>
        <NeedsScope scope="admin" />
      </>
    );
  if (loaded.state === 'loading' || loaded.state === 'idle') return <Loading what={`experiment ${id}`} />;
  if (loaded.state === 'error')
    return (
      <>
        <h1>Experiment {id}</h1>
        <ProblemBox problem={loaded.problem} />
        <p>
          <Link href="/experiments">All experiments</Link>
        </p>
      </>
    );
  const e = loaded.data;

  const act = async (path: string, done: string) => {
    setConfirm(null);
    setProblem(null);
    setMessage(null);
    try {
      await api(`/v1/admin/experiments/${enc(id)}/${path}`, { method: 'POST' });
      setMessage(done);
      loaded.reload();
    } catch (err) {
      setProblem(asProblem(err));
    }
  };

  return (
    <>
      <p class="crumbs">
        <Link href="/experiments">Experiments</Link> ›
      </p>
      <div class="row">
        <h1>Experiment {e.id}</h1>
        <span class={`badge ${e.status === 'running' ? 'active' : ''}`} data-testid="experiment-status">
          {e.status}
        </span>
        <span class="spacer" />
        {isLive(e.status) && (
          <button type="button" class="danger" onClick={() => setConfirm({ kind: 'stop' })}>
            Stop the experiment
          </button>
        )}
      </div>
      <p class="muted" data-testid="experiment-meta">
        {e.mode === 'ab' ? 'A/B test' : 'interleaving'} on placement{' '}
        <Link href={placementHref(e.placement)}>{e.placement}</Link>
        {e.createdAt && <> · created {fmtTime(e.createdAt)}</>}
        {e.startAt && <> · starts {fmtTime(e.startAt)}</>}
        {e.endAt && <> · ends {fmtTime(e.endAt)}</>}
        {e.stoppedAt && <> · stopped {fmtTime(e.stoppedAt)}</>}
        {isLive(e.status) && <> · refreshed every {WATCH_MS / 1000} s</>}
      </p>
      {message && (
        <p role="status" class="muted" data-testid="experiment-message">
          {message}
        </p>
      )}
      {problem && <ProblemBox problem={problem} />}
      {e.promotedVariant && (
        <p data-testid="promoted">
          Variant <strong>{e.promotedVariant}</strong> was promoted: it is now{' '}
          <Link href={placementHref(e.placement)}>{e.placement}</Link>’s own configuration.
        </p>
      )}

      <h2>Results</h2>
      <Verdict e={e} />
      {e.mode === 'interleave' && e.interleaving && (
        <dl class="cards" data-testid="interleaving">
          {(
            [
              [`${e.variants[1]?.id ?? 'second'} won`, fmtInt(e.interleaving.wins)],
              [`${e.variants[0]?.id ?? 'first'} won`, fmtInt(e.interleaving.losses)],
              ['Ties', fmtInt(e.interleaving.ties)],
              ['Sign test p-value', fmtP(e.interleaving.pValue)],
            ] as Array<[string, string]>
          ).map(([label, value]) => (
            <div class="card" key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      )}
      <VariantsTable e={e} onPromote={(variant) => setConfirm({ kind: 'promote', variant })} />
      {e.method && <p class="muted">p-values: {e.method}.</p>}
      <ExperimentCharts experiment={e} />

      {confirm?.kind === 'stop' && (
        <Confirm
          title={`Stop ${e.id}?`}
          action={`Stop ${e.id}`}
          onCancel={() => setConfirm(null)}
          onConfirm={() =>
            void act('stop', `${e.id} is stopped: ${e.placement} serves its own configuration again.`)
          }
        >
          <p>
            Every shopper gets <code>{e.placement}</code> as configured again. The results stay readable.
          </p>
        </Confirm>
      )}
      {confirm?.kind === 'promote' && (
        <Confirm
          title={`Promote ${confirm.variant}?`}
          action={`Promote ${confirm.variant}`}
          onCancel={() => setConfirm(null)}
          onConfirm={() =>
            void act(
              `promote/${enc(confirm.variant)}`,
              `${confirm.variant} is promoted: it is now ${e.placement}’s own configuration, and the experiment is stopped.`,
            )
          }
        >
          <p>
            The variant’s model version and rules become <code>{e.placement}</code>’s own (a new revision of
            the placement), and the experiment stops.
          </p>
        </Confirm>
      )}
    </>
  );
}
