import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtDay } from '../format';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** Draw points only (e.g. one value per model version): lines between versions would suggest a trend in time. */
  points?: boolean;
  /** A 95 % interval per point, drawn as a whisker through it. */
  intervals?: Array<[number, number] | null>;
}

interface Props {
  title: string;
  /** x positions: Unix seconds when `time`; with `categories`, categories[i] labels x[i]. */
  x: number[];
  series: ChartSeries[];
  time?: boolean;
  categories?: string[];
  yLabel?: string;
  /** What the x values are, in the legend (with categories). */
  xLabel?: string;
  format?: (n: number) => string;
  height?: number;
  testId?: string;
  /** The y axis starts at 0 (counts, sums, rates), and a chart of zeros still has a scale. */
  fromZero?: boolean;
  /** Ticks at whole numbers only (counts). */
  integers?: boolean;
}

const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6'];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Follows the browser's colour scheme, so charts are redrawn in the other palette when it changes. */
function useColourScheme(): string {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const [scheme, setScheme] = useState(query.matches ? 'dark' : 'light');
  useEffect(() => {
    const on = (e: MediaQueryListEvent) => setScheme(e.matches ? 'dark' : 'light');
    query.addEventListener('change', on);
    return () => query.removeEventListener('change', on);
  }, [query]);
  return scheme;
}

/** A uPlot line chart sized to its container, coloured from the page's CSS variables (light or dark). */
export function Chart({
  title,
  x,
  series,
  time = false,
  categories,
  yLabel,
  xLabel,
  format,
  height = 240,
  testId,
  fromZero = false,
  integers = false,
}: Props) {
  const box = useRef<HTMLDivElement>(null);
  const scheme = useColourScheme();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--fg');
    const grid = cssVar('--grid');
    const axis = (label?: string): uPlot.Axis => ({
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      ...(label ? { label, labelFont: '12px system-ui, sans-serif' } : {}),
      font: '12px system-ui, sans-serif',
    });
    const xAxis: uPlot.Axis = categories
      ? {
          ...axis(),
          splits: () => x,
          values: (_u, splits) => splits.map((s) => categories[x.indexOf(s)] ?? ''),
        }
      : time
        ? // Every time chart here has one point per day: ticks on whole days, never on hours.
          {
            ...axis(),
            incrs: [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400, 91 * 86_400, 365 * 86_400],
          }
        : axis();
    const yAxis: uPlot.Axis = {
      ...axis(yLabel),
      size: 64,
      ...(integers ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 1e5, 1e6] } : {}),
      ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map(format) } : {}),
    };
    const colours = series.map((_, i) => cssVar(PALETTE[i % PALETTE.length]));
    const highs = series.flatMap((s) => (s.intervals ?? []).flatMap((iv) => (iv ? [iv[1]] : [])));
    /** Whiskers for the intervals, on uPlot's canvas after it drew the series. */
    const whiskers = (u: uPlot) => {
      const ctx = u.ctx;
      const cap = 6 * uPlot.pxRatio;
      ctx.save();
      ctx.lineWidth = 2 * uPlot.pxRatio;
      series.forEach((s, i) => {
        ctx.strokeStyle = colours[i];
        (s.intervals ?? []).forEach((iv, j) => {
          if (!iv || s.values[j] === null) return;
          const cx = u.valToPos(x[j], 'x', true);
          const [lo, hi] = [u.valToPos(iv[0], 'y', true), u.valToPos(iv[1], 'y', true)];
          ctx.beginPath();
          ctx.moveTo(cx, lo);
          ctx.lineTo(cx, hi);
          ctx.moveTo(cx - cap, lo);
          ctx.lineTo(cx + cap, lo);
          ctx.moveTo(cx - cap, hi);
          ctx.lineTo(cx + cap, hi);
          ctx.stroke();
        });
      });
      ctx.restore();
    };
    const opts: uPlot.Options = {
      title,
      hooks: { draw: [whiskers] },
      width: Math.max(280, el.clientWidth),
      height,
      scales: {
        x: {
          time,
          ...(categories && x.length > 0
            ? { range: [Math.min(...x) - 0.5, Math.max(...x) + 0.5] as uPlot.Range.MinMax }
            : {}),
        },
        ...(fromZero
          ? {
              y: {
                range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => {
                  const top = Math.max(max, ...highs);
                  return [0, top > 0 ? top * 1.1 : 1];
                },
              },
            }
          : {}),
      },
      axes: [xAxis, yAxis],
      legend: { show: true },
      series: [
        {
          label: xLabel ?? (categories ? 'version' : time ? 'day' : 'x'),
          value: (_u, v) =>
            v === null ? '–' : categories ? (categories[x.indexOf(v)] ?? '') : time ? fmtDay(v) : String(v),
        },
        ...series.map((s, i): uPlot.Series => {
          const colour = colours[i];
          return {
            label: s.label,
            stroke: colour,
            width: 2,
            points: { show: true, size: s.points ? 9 : 5, fill: colour },
            paths: s.points ? () => null : undefined,
            value: (_u, v) => (v === null ? '–' : format ? format(v) : String(v)),
          };
        }),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, x, series, time, categories, yLabel, xLabel, format, height, scheme, fromZero, integers]);

  return <figure class="chart" data-testid={testId} aria-label={title} ref={box} />;
}
