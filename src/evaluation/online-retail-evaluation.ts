import { performance } from 'node:perf_hooks';
import { loadOnlineRetail } from '../online-retail/online-retail.reader';
import type { LoadProgress, OnlineRetailData } from '../online-retail/online-retail.types';
import { buildBaselines, type BaselineOptions } from './baseline-recommenders';
import { DEFAULT_CUTOFF, split } from './evaluation-split';
import { evaluate, type EvaluateProgress, type EvaluationReport } from './evaluation.runner';
import { withCrawlers } from './crawlers';
import { withCustomerShare } from './customer-share';
import { asItemSequences } from './item-sequences';
import type { EvaluationSplit, Protocol, Recommender } from './evaluation.types';

export interface ExtraRecommenders {
  recommenders: Record<string, Recommender>;
  restrictTo?: Record<string, readonly Protocol[]>;
}

export interface OnlineRetailEvaluationOptions {
  cutoff?: Date;
  k?: number;
  /** Encoder vectors for the content baseline; omitted → no content row. */
  content?: BaselineOptions['content'];
  /**
   * Builds further recommenders (the engine) once the split exists, so they can be trained on `split.training`
   * only; runs after the baselines so its time is not mixed into theirs.
   */
  extraRecommenders?: (split: EvaluationSplit, data: OnlineRetailData) => Promise<ExtraRecommenders>;
  /**
   * Read the file as sequence data (asItemSequences): single-item purchases, the next item as the target, and
   * sessions of each user's last SEQUENCE_SESSION_ITEMS items.
   */
  itemSequences?: boolean;
  /** Accounts added that each bought CRAWLER_ITEMS items across the catalog before the cutoff (withCrawlers). */
  crawlers?: number;
  /** Only a fixed pick of about this share of the customers (withCustomerShare): a smaller shop. */
  customerShare?: number;
  /**
   * What the baselines learn from, given the training purchases (default: those purchases): a comparison where
   * the engine sees the shop another way (one user per visit) gives the baselines the same view.
   */
  baselineTraining?: (training: EvaluationSplit['training']) => EvaluationSplit['training'];
  onLoadProgress?: (progress: LoadProgress) => void;
  onEvaluateProgress?: (progress: EvaluateProgress) => void;
}

/** The longest session of the sequence variant: a shopper's last ten items, as session benchmarks ask. */
export const SEQUENCE_SESSION_ITEMS = 10;

export interface OnlineRetailEvaluation {
  data: OnlineRetailData;
  split: EvaluationSplit;
  report: EvaluationReport;
  /** Wall-clock seconds per phase; extraSeconds covers the caller's training. */
  timings: {
    loadSeconds: number;
    splitSeconds: number;
    baselineSeconds: number;
    extraSeconds: number;
    evaluateSeconds: number;
  };
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** "Long unsold": on sale for at least this many days before the cutoff and never bought by then. */
export const LONG_UNSOLD_DAYS = 60;

/**
 * The file's products (sold or only bought by guests) on sale for LONG_UNSOLD_DAYS or more at the cutoff, with
 * no purchase before it: the dead stock a list should not promote.
 */
export function longUnsoldItems(data: OnlineRetailData, evaluationSplit: EvaluationSplit): Set<string> {
  const sold = new Set(evaluationSplit.training.map((p) => p.itemId));
  const latest = evaluationSplit.cutoff.getTime() - LONG_UNSOLD_DAYS * 86_400_000;
  return new Set(
    [...data.items, ...data.unsold]
      .filter((i) => !sold.has(i.id) && i.availableFrom.getTime() <= latest)
      .map((i) => i.id),
  );
}

/** A new arrival in the report: on sale for at most this many days before the cutoff (NEW_ARRIVAL_DAYS' default). */
export const NEW_ARRIVAL_REPORT_DAYS = 30;

/**
 * The file's products on sale for at most NEW_ARRIVAL_REPORT_DAYS at the cutoff with no purchase before it: the
 * items the new-arrival places may show. How many lists hold one is what those places cost and give.
 */
export function newArrivalItems(data: OnlineRetailData, evaluationSplit: EvaluationSplit): Set<string> {
  const sold = new Set(evaluationSplit.training.map((p) => p.itemId));
  const cutoff = evaluationSplit.cutoff.getTime();
  const earliest = cutoff - NEW_ARRIVAL_REPORT_DAYS * 86_400_000;
  return new Set(
    [...data.items, ...data.unsold]
      .filter((i) => {
        const from = i.availableFrom.getTime();
        return !sold.has(i.id) && from >= earliest && from <= cutoff;
      })
      .map((i) => i.id),
  );
}

/** The whole protocol of docs/evaluation.md on one Online Retail file: load, split, fit baselines, evaluate. */
export async function evaluateOnlineRetail(
  file: string,
  options: OnlineRetailEvaluationOptions = {},
): Promise<OnlineRetailEvaluation> {
  let started = performance.now();
  const whole = await loadOnlineRetail(file, options.onLoadProgress);
  const read =
    options.customerShare === undefined
      ? whole
      : { ...whole, purchases: withCustomerShare(whole.purchases, options.customerShare) };
  const cutoff = options.cutoff ?? DEFAULT_CUTOFF;
  // Added before a sequence reading, so that an account's baskets become steps as the file's invoices do.
  const loaded = options.crawlers
    ? { ...read, purchases: withCrawlers(read.purchases, options.crawlers, cutoff) }
    : read;
  const data = options.itemSequences ? { ...loaded, purchases: asItemSequences(loaded.purchases) } : loaded;
  const loadSeconds = seconds(started);

  started = performance.now();
  const evaluationSplit = split(data.purchases, cutoff);
  const splitSeconds = seconds(started);

  started = performance.now();
  const baselineTraining = options.baselineTraining?.(evaluationSplit.training) ?? evaluationSplit.training;
  const baselines = buildBaselines(baselineTraining, { content: options.content });
  const baselineSeconds = seconds(started);

  started = performance.now();
  const extra = options.extraRecommenders
    ? await options.extraRecommenders(evaluationSplit, data)
    : undefined;
  const extraSeconds = seconds(started);
  for (const name of Object.keys(extra?.recommenders ?? {})) {
    if (name in baselines.recommenders)
      throw new Error(`recommender "${name}" would shadow the baseline of that name`);
  }

  started = performance.now();
  const report = await evaluate(
    evaluationSplit,
    { ...extra?.recommenders, ...baselines.recommenders },
    {
      k: options.k,
      restrictTo: { ...extra?.restrictTo, ...baselines.restrictTo },
      longUnsold: longUnsoldItems(data, evaluationSplit),
      newArrivals: newArrivalItems(data, evaluationSplit),
      sessionItems: options.itemSequences ? SEQUENCE_SESSION_ITEMS : undefined,
      onProgress: options.onEvaluateProgress,
    },
  );
  const evaluateSeconds = seconds(started);

  return {
    data,
    split: evaluationSplit,
    report,
    timings: { loadSeconds, splitSeconds, baselineSeconds, extraSeconds, evaluateSeconds },
  };
}
