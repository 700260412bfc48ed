import { useMemo } from 'preact/hooks';
import { fmtMoney, fmtPct, fmtInt } from '../format';
import type { AnalyticsRow } from '../types';
import { Chart, type ChartSeries } from './chart';
import { Empty } from './states';

type Metric = (r: AnalyticsRow) => number;
const DAY_MS = 86_400_000;

/** Every UTC day from `from` to `to` (YYYY-MM-DD), so a quiet day is a day on the chart and not a gap. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  const start = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  for (let t = start; t <= to.getTime(); t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/**
 * Rows grouped by day and placement → one x per day (Unix seconds), one series per placement. A day without a
 * row counts 0 for counts and sums; a rate (`zeroWhenMissing` false) is undefined there, so it is a gap.
 */
export function seriesByPlacement(
  rows: AnalyticsRow[],
  window: string[],
  metric: Metric,
  zeroWhenMissing: boolean,
): { x: number[]; series: ChartSeries[] } {
  const dayOf = (r: AnalyticsRow) => (r.day ?? '').slice(0, 10);
  const days = [...new Set([...window, ...rows.map(dayOf).filter(Boolean)])].sort();
  const placements = [...new Set(rows.map((r) => r.placement ?? 'all'))].sort();
  const at = new Map(rows.map((r) => [`${dayOf(r)}|${r.placement ?? 'all'}`, r]));
  return {
    x: days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
    series: placements.map((p) => ({
      label: p,
      values: days.map((d) => {
        const r = at.get(`${d}|${p}`);
        return r ? metric(r) : zeroWhenMissing ? 0 : null;
      }),
    })),
  };
}

const both = (a: { reported: number; estimated: number } | undefined) => (a ? a.reported + a.estimated : 0);

/** Served lists, clicks, CTR and revenue per day and placement (GET /v1/admin/analytics?groupBy=day,placement). */
export function AnalyticsCharts({ rows, from, to }: { rows: AnalyticsRow[]; from: Date; to: Date }) {
  const charts = useMemo(() => {
    const window = daysBetween(from, to);
    return [
      {
        title: 'Served lists per day',
        data: seriesByPlacement(rows, window, (r) => r.lists, true),
        format: fmtInt,
        integers: true,
      },
      {
        title: 'Clicks per day',
        data: seriesByPlacement(rows, window, (r) => r.clicks, true),
        format: fmtInt,
        integers: true,
      },
      {
        title: 'Click-through rate',
        data: seriesByPlacement(rows, window, (r) => r.ctr, false),
        format: fmtPct,
        integers: false,
      },
      {
        title: 'Revenue per day (reported + estimated)',
        data: seriesByPlacement(rows, window, (r) => both(r.revenue), true),
        format: fmtMoney,
        integers: false,
      },
    ];
  }, [rows]);
  if (rows.length === 0) return <Empty>No lists were served in the last 30 days.</Empty>;
  return (
    <div class="cols" data-testid="analytics-charts">
      {charts.map((c) => (
        <Chart
          key={c.title}
          title={c.title}
          x={c.data.x}
          series={c.data.series}
          time
          format={c.format}
          fromZero
          integers={c.integers}
        />
      ))}
    </div>
  );
}
