import { Link } from 'wouter-preact';
import { api } from '../api';
import { hasScope, useSession } from '../auth';
import { SortableTable, type Column } from '../components/sortable-table';
import { Empty, Loading, NeedsScope, ProblemBox } from '../components/states';
import { fmtInt, fmtTime } from '../format';
import type { Experiment } from '../types';
import { useLoad } from '../use-api';
import { experimentHref } from './experiment';
import { placementHref } from './placements';

const sum = (e: Experiment, f: 'lists' | 'clicks') => e.variants.reduce((n, v) => n + (v[f] ?? 0), 0);

/** Every experiment (GET /v1/admin/experiments) with its status and totals. */
export function ExperimentsPage() {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const list = useLoad(
    admin
      ? () =>
          api<{ experiments: Experiment[] } | Experiment[]>('/v1/admin/experiments').then((r) =>
            Array.isArray(r) ? r : r.experiments,
          )
      : null,
    [admin],
  );
  const columns: Column<Experiment>[] = [
    {
      key: 'id',
      label: 'Experiment',
      sort: (e) => e.id,
      render: (e) => <Link href={experimentHref(e.id)}>{e.id}</Link>,
    },
    {
      key: 'placement',
      label: 'Placement',
      sort: (e) => e.placement,
      render: (e) => <Link href={placementHref(e.placement)}>{e.placement}</Link>,
    },
    {
      key: 'mode',
      label: 'Mode',
      sort: (e) => e.mode,
      render: (e) => (e.mode === 'ab' ? 'A/B' : 'interleaving'),
    },
    {
      key: 'status',
      label: 'Status',
      sort: (e) => e.status,
      render: (e) => <span class={`badge ${e.status === 'running' ? 'active' : ''}`}>{e.status}</span>,
    },
    {
      key: 'variants',
      label: 'Variants',
      sort: (e) => e.variants.map((v) => v.id).join(', '),
      render: (e) => e.variants.map((v) => v.id).join(', '),
    },
    {
      key: 'lists',
      label: 'Lists',
      numeric: true,
      sort: (e) => sum(e, 'lists'),
      render: (e) => fmtInt(sum(e, 'lists')),
    },
    {
      key: 'clicks',
      label: 'Clicks',
      numeric: true,
      sort: (e) => sum(e, 'clicks'),
      render: (e) => fmtInt(sum(e, 'clicks')),
    },
    { key: 'created', label: 'Created', sort: (e) => e.createdAt, render: (e) => fmtTime(e.createdAt) },
  ];
  return (
    <>
      <div class="row">
        <h1>Experiments</h1>
        <span class="spacer" />
        {admin && (
          <Link href="/experiments/new" class="button primary">
            New experiment
          </Link>
        )}
      </div>
      <p class="muted">
        Which model or rule set serves a placement better, measured on live traffic: A/B tests and
        interleaving.
      </p>
      {!admin ? (
        <NeedsScope scope="admin" />
      ) : list.state === 'loading' || list.state === 'idle' ? (
        <Loading what="experiments" />
      ) : list.state === 'error' ? (
        list.problem.status === 404 ? (
          <div class="state empty" data-testid="experiments-unavailable">
            Experiments are not available on this server (GET /v1/admin/experiments answered 404).
          </div>
        ) : (
          <ProblemBox problem={list.problem} />
        )
      ) : list.data.length === 0 ? (
        <Empty>
          No experiments yet. <Link href="/experiments/new">Start one</Link>: two or more variants of a
          placement (a model version, the popular list, a rule set) served side by side.
        </Empty>
      ) : (
        <SortableTable
          testId="experiments"
          caption="Experiments"
          rows={list.data}
          columns={columns}
          rowKey={(e) => e.id}
          initialSort={{ key: 'created', dir: 'desc' }}
        />
      )}
    </>
  );
}
