import type { EvaluationReport, ProtocolResult } from './evaluation.runner';
import { PROTOCOLS } from './evaluation.types';

/** Method order of docs/evaluation.md's output; anything else follows in the order it was run. */
const METHOD_ORDER = ['engine', 'engine-session', 'pop', 'repeat', 'itemknn', 'markov', 'content'];

export interface EvaluationJsonMeta {
  modelVersion: string;
  trainSeconds: number;
  /** Name under which the engine's Recommender was run (default "engine"); it feeds newItems.engineHits. */
  engineMethod?: string;
}

export interface EvaluationJson {
  cutoff: string;
  k: number;
  protocols: Record<string, Record<string, unknown>>;
  modelVersion: string;
  trainSeconds: number;
}

function orderedMethods(result: ProtocolResult, engineMethod: string): string[] {
  const names = Object.keys(result.methods);
  const rank = (name: string): number => {
    const position = METHOD_ORDER.indexOf(name === engineMethod ? 'engine' : name);
    return position === -1 ? METHOD_ORDER.length : position;
  };
  // Array.prototype.sort is stable: unknown methods keep their run order after the known ones.
  return names.sort((a, b) => rank(a) - rank(b));
}

/** Six decimals: far below the ±0.002 tolerance, and the JSON line stays readable. */
function round(value: number, digits = 6): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A midnight cutoff prints as the date alone, like the protocol's `"cutoff":"2011-11-01"`. */
function formatCutoff(cutoff: Date): string {
  const iso = cutoff.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/**
 * The last line of `aisle eval --json`, shaped as in docs/evaluation.md ("Output"). The engine and content rows
 * come from the report (run them through `evaluate` as recommenders "engine" and "content"); model version and
 * training time are the caller's to supply.
 */
export function toEvaluationJson(report: EvaluationReport, meta: EvaluationJsonMeta): EvaluationJson {
  const engineMethod = meta.engineMethod ?? 'engine';
  const protocols: Record<string, Record<string, unknown>> = {};
  for (const protocol of PROTOCOLS) {
    const result = report.protocols[protocol];
    if (!result) continue;
    const entry: Record<string, unknown> = { users: result.users };
    for (const method of orderedMethods(result, engineMethod)) {
      const { recall, ndcg, hit } = result.methods[method];
      entry[method === engineMethod ? 'engine' : method] = {
        recall: round(recall),
        ndcg: round(ndcg),
        hit: round(hit),
      };
    }
    if (protocol === 'discovery') {
      entry.newItems = {
        targets: result.newItemTargets,
        // null rather than 0 when the engine was not run, so "no engine" never reads as "engine hit nothing".
        engineHits: result.methods[engineMethod]?.newItemHits ?? null,
      };
      // Dead stock: how many of the engine's lists hold an item on sale for long that never sold.
      entry.longUnsold = {
        items: result.longUnsoldItems,
        engineLists: result.methods[engineMethod]?.longUnsoldLists ?? null,
      };
      // New arrivals: how many of the engine's lists hold an item on sale for days that never sold.
      entry.newArrivals = {
        items: result.newArrivalItems,
        engineLists: result.methods[engineMethod]?.newArrivalLists ?? null,
      };
    }
    protocols[protocol] = entry;
  }
  return {
    cutoff: formatCutoff(report.cutoff),
    k: report.k,
    protocols,
    modelVersion: meta.modelVersion,
    trainSeconds: round(meta.trainSeconds, 1),
  };
}

/** Human-readable table printed before the JSON line. */
export function formatEvaluationTable(report: EvaluationReport, engineMethod = 'engine'): string {
  const k = report.k;
  const header = [
    'protocol',
    'method',
    'users',
    `Recall@${k}`,
    `NDCG@${k}`,
    `Hit@${k}`,
    'new-item hits',
    'long-unsold lists',
    'new-arrival lists',
    'seconds',
  ];
  const rows: string[][] = [];
  for (const protocol of PROTOCOLS) {
    const result = report.protocols[protocol];
    if (!result) continue;
    for (const method of orderedMethods(result, engineMethod)) {
      const metrics = result.methods[method];
      rows.push([
        protocol,
        method,
        String(result.users),
        metrics.recall.toFixed(4),
        metrics.ndcg.toFixed(4),
        metrics.hit.toFixed(4),
        `${metrics.newItemHits}/${result.newItemTargets}`,
        `${metrics.longUnsoldLists}/${result.users}`,
        `${metrics.newArrivalLists}/${result.users}`,
        metrics.seconds.toFixed(2),
      ]);
    }
  }
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  // Text columns left-aligned, numbers right-aligned, like any numeric report.
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ');
  return [
    `cutoff ${formatCutoff(report.cutoff)}, K = ${k}`,
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ].join('\n');
}
