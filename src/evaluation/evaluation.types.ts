import type { Purchase } from '../online-retail/online-retail.types';

export type { Purchase };

export const PROTOCOLS = ['next-basket', 'discovery', 'session', 'in-visit'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** What a recommender may know about a test user: only events strictly before the cutoff. */
export interface RecommendationUser {
  userId: string;
  /** Pre-cutoff purchases, oldest first. */
  history: readonly Purchase[];
}

/**
 * Anything that ranks items for a user: a baseline, or the engine behind its HTTP-facing service.
 * Must return at most `k` distinct ids, none of them in `exclude`; the runner rejects lists that break this rather
 * than silently repairing them, so a protocol violation cannot inflate a score.
 */
export type Recommender = (
  user: RecommendationUser,
  k: number,
  exclude: ReadonlySet<string>,
) => Promise<string[]> | string[];

export interface TestUser extends RecommendationUser {
  /** Invoice that forms the target basket: the user's first at/after the cutoff (time, then InvoiceNo). */
  targetInvoiceNo: string;
  targetTimestamp: Date;
  /** Distinct items of that invoice, ascending id order. */
  target: string[];
}

export interface EvaluationSplit {
  cutoff: Date;
  /** Every purchase strictly before the cutoff, in input order. */
  training: Purchase[];
  /** Pre-cutoff history of every user who has one, oldest first (stable for equal timestamps). */
  historyByUser: ReadonlyMap<string, Purchase[]>;
  /** Users with history before and at least one purchase at/after the cutoff, ascending userId. */
  testUsers: TestUser[];
  /**
   * Every user's first visit at/after the cutoff, new customers' too (ascending userId): the in-visit protocol's
   * material. A visit is one invoice (with --item-sequences, the invoice its items were split from).
   */
  testVisits: TestVisit[];
}

/** One visit after the cutoff: its lines in the order they happened (stable for equal timestamps). */
export interface TestVisit {
  userId: string;
  invoiceNo: string;
  lines: Purchase[];
}

export type { RankingMetrics } from '../ranking/ranking-metrics';
