import { useState } from 'preact/hooks';
import { api } from '../api';
import { hasScope, useSession } from '../auth';
import { AnalyticsCharts } from '../components/analytics-charts';
import { JobCard } from '../components/job-progress';
import { SortableTable, type Column } from '../components/sortable-table';
import { Loading, NeedsScope, ProblemBox, Empty } from '../components/states';
import { fmtInt, fmtNum, fmtTime } from '../format';
import { isFinished, useJobList } from '../jobs';
import type { AnalyticsRow, Job, Stats } from '../types';
import { useLoad } from '../use-api';

const DAY_MS = 86_400_000;

function StatsCards({ stats }: { stats: Stats }) {
  // [label, value, is the value a name (smaller type) rather than a count]
  const cards: Array<[string, string, boolean?]> = [
    ['Items in the catalog', fmtInt(stats.items)],
    ['Users', fmtInt(stats.users)],
    ['Events', fmtInt(stats.events)],
    ['Vectors in the index', stats.index ? fmtInt(stats.index.size) : 'no index'],
    ['Index model', stats.index?.modelVersion ?? '–', true],
    ['Active model', stats.activeModel ?? 'none (raw text vectors)', true],
  ];
  return (
    <>
      <dl class="cards" data-testid="stats">
        {cards.map(([label, value, name]) => (
          <div class="card" key={label}>
            <dt>{label}</dt>
            <dd class={name ? 'name' : undefined}>{value}</dd>
          </div>
        ))}
      </dl>
      <p class="muted">
        Encoder {stats.encoder ?? '–'}
        {stats.index && (
          <>
            {' '}
            · {fmtInt(stats.index.dimension)} dimensions · index built {fmtTime(stats.index.builtAt)}
          </>
        )}
      </p>
    </>
  );
}

const seconds = (j: Job) =>
  j.startedAt && j.finishedAt ? (Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000 : null;

/** Jobs whoever started them: those queued or running with live progress, then the latest ones as a table. */
function Jobs() {
  const { jobs, problem } = useJobList(10);
  if (problem && !jobs) return <ProblemBox problem={problem} />;
  if (!jobs) return <Loading what="jobs" />;
  const active = jobs.filter((j) => !isFinished(j));
  const columns: Column<Job>[] = [
    { key: 'kind', label: 'Job', sort: (j) => j.kind, render: (j) => <code>{j.kind}</code> },
    {
      key: 'status',
      label: 'Status',
      sort: (j) => j.status,
      render: (j) => <span class={`badge ${j.status === 'succeeded' ? 'active' : ''}`}>{j.status}</span>,
    },
    {
      key: 'progress',
      label: 'Done / total',
      numeric: true,
      sort: (j) => j.progress.done,
      render: (j) => `${fmtInt(j.progress.done)} / ${fmtInt(j.progress.total)}`,
    },
    { key: 'started', label: 'Started', sort: (j) => j.startedAt, render: (j) => fmtTime(j.startedAt) },
    {
      key: 'seconds',
      label: 'Seconds',
      numeric: true,
      sort: seconds,
      render: (j) => fmtNum(seconds(j)),
    },
    { key: 'error', label: 'Error', sort: (j) => j.error, render: (j) => j.error ?? '' },
  ];
  return (
    <>
      {problem && <ProblemBox problem={problem} />}
      {active.length === 0 ? (
        <Empty>No job is queued or running.</Empty>
      ) : (
        <div data-testid="active-jobs">
          {active.map((j) => (
            <JobCard key={j.id} job={j} />
          ))}
        </div>
      )}
      {jobs.length > 0 && (
        <SortableTable
          testId="jobs"
          caption="The latest jobs, newest first (GET /v1/admin/jobs)"
          rows={jobs}
          columns={columns}
          rowKey={(j) => j.id}
          rowData={(j) => ({ 'data-job': j.id, 'data-status': j.status })}
        />
      )}
    </>
  );
}

function Analytics() {
  const [{ from, to }] = useState(() => {
    const now = new Date();
    return { from: new Date(now.getTime() - 30 * DAY_MS), to: now };
  });
  // Instants, not dates: a `to` of today's date would end the window at midnight and leave today out.
  const q = `from=${from.toISOString()}&to=${to.toISOString()}&groupBy=day,placement`;
  const rows = useLoad(() => api<{ rows: AnalyticsRow[] }>(`/v1/admin/analytics?${q}`), []);
  if (rows.state === 'loading' || rows.state === 'idle') return <Loading what="analytics" />;
  if (rows.state === 'error') {
    if (rows.problem.status === 404) {
      return (
        <div class="state empty" data-testid="analytics-unavailable">
          Analytics are not available on this server (GET /v1/admin/analytics answered 404): it does not
          record served lists and clicks yet.
        </div>
      );
    }
    return <ProblemBox problem={rows.problem} />;
  }
  return <AnalyticsCharts rows={rows.data.rows} from={from} to={to} />;
}

export function OverviewPage() {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const stats = useLoad(admin ? () => api<Stats>('/v1/admin/stats') : null, [admin]);

  return (
    <>
      <h1>Overview</h1>
      {!admin ? (
        <NeedsScope scope="admin" />
      ) : (
        <>
          {stats.state === 'loading' && <Loading what="counts" />}
          {stats.state === 'error' && <ProblemBox problem={stats.problem} />}
          {stats.state === 'ok' && <StatsCards stats={stats.data} />}

          <h2>Jobs</h2>
          <Jobs />

          <h2>Served lists, clicks, CTR and revenue per placement (last 30 days)</h2>
          <Analytics />
        </>
      )}
    </>
  );
}
