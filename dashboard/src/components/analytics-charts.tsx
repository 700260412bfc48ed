import { useMemo } from 'preact/hooks';
import { fmtMoney, fmtPct, fmtInt } from '../format';
import type { AnalyticsRow } from '../types';
import { Chart, type ChartSeries } from './chart';
import { Empty } from './states';

type Metric = (r: AnalyticsRow) => number;

/** Rows grouped by day and placement → one x per day (Unix seconds), one series per placement. */
export function seriesByPlacement(
  rows: AnalyticsRow[],
  metric: Metric,
): { x: number[]; series: ChartSeries[] } {
  const days = [...new Set(rows.map((r) => r.day).filter((d): d is string => !!d))].sort();
  const placements = [...new Set(rows.map((r) => r.placement ?? 'all'))].sort();
  const at = new Map(rows.map((r) => [`${r.day ?? ''}|${r.placement ?? 'all'}`, r]));
  return {
    x: days.map((d) => Date.parse(d.length === 10 ? `${d}T00:00:00Z` : d) / 1000),
    series: placements.map((p) => ({
      label: p,
      values: days.map((d) => {
        const r = at.get(`${d}|${p}`);
        return r ? metric(r) : null;
      }),
    })),
  };
}

const both = (a: { reported: number; estimated: number } | undefined) => (a ? a.reported + a.estimated : 0);

/** Served lists, clicks, CTR and revenue per day and placement (GET /v1/admin/analytics?groupBy=day,placement). */
export function AnalyticsCharts({ rows }: { rows: AnalyticsRow[] }) {
  const charts = useMemo(
    () => [
      { title: 'Served lists per day', data: seriesByPlacement(rows, (r) => r.lists), format: fmtInt },
      { title: 'Clicks per day', data: seriesByPlacement(rows, (r) => r.clicks), format: fmtInt },
      { title: 'Click-through rate', data: seriesByPlacement(rows, (r) => r.ctr), format: fmtPct },
      {
        title: 'Revenue per day (reported + estimated)',
        data: seriesByPlacement(rows, (r) => both(r.revenue)),
        format: fmtMoney,
      },
    ],
    [rows],
  );
  if (rows.length === 0) return <Empty>No lists were served in the last 30 days.</Empty>;
  return (
    <div class="cols" data-testid="analytics-charts">
      {charts.map((c) => (
        <Chart key={c.title} title={c.title} x={c.data.x} series={c.data.series} time format={c.format} />
      ))}
    </div>
  );
}
