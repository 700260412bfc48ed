import { useMemo } from 'preact/hooks';
import { fmtMoney, fmtPct } from '../format';
import type { Experiment, VariantResult } from '../types';
import { daysBetween } from './analytics-charts';
import { Chart, type ChartSeries } from './chart';

/**
 * One series per variant, each with a value only at its own x: the variants get their own colours and legend
 * entries, and each point carries its 95 % interval as a whisker.
 */
function byVariant(
  variants: VariantResult[],
  value: (v: VariantResult) => number | undefined,
  interval: (v: VariantResult) => [number, number] | undefined,
): ChartSeries[] {
  return variants.map((v, i) => ({
    label: v.id,
    points: true,
    values: variants.map((_, j) => (j === i ? (value(v) ?? null) : null)),
    intervals: variants.map((_, j) => (j === i ? (interval(v) ?? null) : null)),
  }));
}

/** Clicks per list by day and variant (when the server gives a series): the experiment as it runs. */
function dailyCtr(e: Experiment): { x: number[]; series: ChartSeries[] } | null {
  const series = e.series ?? [];
  if (series.length === 0) return null;
  const days = series.map((d) => d.day.slice(0, 10)).sort();
  const window = daysBetween(
    new Date(`${days[0]}T00:00:00Z`),
    new Date(`${days[days.length - 1]}T00:00:00Z`),
  );
  const at = new Map(series.map((d) => [`${d.day.slice(0, 10)}|${d.variant}`, d]));
  return {
    x: window.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
    series: e.variants.map((v) => ({
      label: v.id,
      values: window.map((d) => {
        const row = at.get(`${d}|${v.id}`);
        return row && row.lists > 0 ? row.clicks / row.lists : null;
      }),
    })),
  };
}

/** Per-variant CTR, conversion rate and revenue per list with their 95 % intervals; CTR by day. */
export function ExperimentCharts({ experiment }: { experiment: Experiment }) {
  const charts = useMemo(() => {
    const v = experiment.variants;
    const x = v.map((_, i) => i);
    const categories = v.map((r) => r.id);
    const out = [
      {
        key: 'ctr',
        title: 'Click-through rate (clicks per list), 95 % interval',
        series: byVariant(
          v,
          (r) => r.ctr,
          (r) => r.ctrInterval,
        ),
        format: fmtPct,
      },
    ];
    // Rates beyond CTR are charted when the server reports them (with their intervals).
    if (v.some((r) => r.conversionRate !== undefined))
      out.push({
        key: 'conversion',
        title: 'Conversions per list, 95 % interval',
        series: byVariant(
          v,
          (r) => r.conversionRate,
          (r) => r.conversionRateInterval,
        ),
        format: fmtPct,
      });
    if (v.some((r) => r.revenuePerList !== undefined))
      out.push({
        key: 'revenue',
        title: 'Revenue per list, 95 % interval',
        series: byVariant(
          v,
          (r) => r.revenuePerList,
          (r) => r.revenuePerListInterval,
        ),
        format: fmtMoney,
      });
    return { x, categories, out, daily: dailyCtr(experiment) };
  }, [experiment]);
  return (
    <div class="cols" data-testid="experiment-charts">
      {charts.out.map((c) => (
        <Chart
          key={c.key}
          testId={`chart-${c.key}`}
          title={c.title}
          x={charts.x}
          categories={charts.categories}
          xLabel="variant"
          series={c.series}
          format={c.format}
          fromZero
        />
      ))}
      {charts.daily && (
        <Chart
          testId="chart-daily"
          title="Click-through rate by day"
          x={charts.daily.x}
          series={charts.daily.series}
          time
          format={fmtPct}
          fromZero
        />
      )}
    </div>
  );
}
