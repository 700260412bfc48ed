import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtDay } from '../format';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** Draw points only (e.g. one value per model version): lines between versions would suggest a trend in time. */
  points?: boolean;
}

interface Props {
  title: string;
  /** x positions: Unix seconds when `time`; with `categories`, categories[i] labels x[i]. */
  x: number[];
  series: ChartSeries[];
  time?: boolean;
  categories?: string[];
  yLabel?: string;
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
      : axis();
    const yAxis: uPlot.Axis = {
      ...axis(yLabel),
      size: 64,
      ...(integers ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 1e5, 1e6] } : {}),
      ...(format ? { values: (_u: uPlot, splits: number[]) => splits.map(format) } : {}),
    };
    const opts: uPlot.Options = {
      title,
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
                range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [
                  0,
                  max > 0 ? max * 1.1 : 1,
                ],
              },
            }
          : {}),
      },
      axes: [xAxis, yAxis],
      legend: { show: true },
      series: [
        {
          label: categories ? 'version' : time ? 'day' : 'x',
          value: (_u, v) =>
            v === null ? '–' : categories ? (categories[x.indexOf(v)] ?? '') : time ? fmtDay(v) : String(v),
        },
        ...series.map((s, i): uPlot.Series => {
          const colour = cssVar(PALETTE[i % PALETTE.length]);
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
  }, [title, x, series, time, categories, yLabel, format, height, scheme, fromZero, integers]);

  return <figure class="chart" data-testid={testId} aria-label={title} ref={box} />;
}
