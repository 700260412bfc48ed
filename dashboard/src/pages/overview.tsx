import { api } from '../api';
import { hasScope, useSession } from '../auth';
import { AnalyticsCharts } from '../components/analytics-charts';
import { JobProgress } from '../components/job-progress';
import { Loading, NeedsScope, ProblemBox, Empty } from '../components/states';
import { fmtInt, fmtTime } from '../format';
import { trackedJobs } from '../jobs';
import type { AnalyticsRow, Stats } from '../types';
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

function Analytics() {
  const to = new Date();
  const from = new Date(to.getTime() - 30 * DAY_MS);
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
  return <AnalyticsCharts rows={rows.data.rows} />;
}

export function OverviewPage() {
  const session = useSession();
  const admin = hasScope(session, 'admin');
  const stats = useLoad(admin ? () => api<Stats>('/v1/admin/stats') : null, [admin]);
  const jobs = trackedJobs();

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
          {jobs.length === 0 ? (
            <Empty>
              No jobs started from this dashboard in this session. Start a fine-tune or a reindex on the
              Models page.
            </Empty>
          ) : (
            jobs.map((j) => <JobProgress key={j.id} id={j.id} kind={j.kind} />)
          )}

          <h2>Served lists, clicks, CTR and revenue (last 30 days)</h2>
          <Analytics />
        </>
      )}
    </>
  );
}
