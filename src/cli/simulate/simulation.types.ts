/** The shapes the shopper simulation works with: its options, the variants it compares and what it reports. */
import type { ProgressFn } from '../progress';

export type Mode = 'ab' | 'interleave';

/** An experiment variant as the API takes it (`POST /v1/admin/experiments`). */
export interface SimVariant {
  id: string;
  strategy?: 'engine' | 'popular';
  modelVersion?: number;
  rules?: unknown[];
}

export interface SimulateOptions {
  url: string;
  apiKey?: string;
  file: string;
  cutoff: Date;
  /** Load the catalog and the pre-cutoff history into the server first (dates moved so the cutoff is today). */
  seed: boolean;
  finetune: boolean;
  shoppers?: number;
  modes: Mode[];
  placement: string;
  /**
   * The discovery protocol: the placement leaves out what the shopper bought before (`excludePurchased`), so
   * only the new items of a basket can be clicked — a smaller difference between the variants.
   */
  discovery?: boolean;
  /** Seed of the shoppers' arrival order and of the orders the median of "shoppers needed" is taken over. */
  orderSeed: number;
  orders: number;
  concurrency: number;
  /** Control, then treatment (default: `popular` against the engine). */
  variants?: readonly [SimVariant, SimVariant];
  progress?: ProgressFn;
}

/** What the simulator counted itself for one variant (for interleaving: for one team). */
export interface OwnCounts {
  lists: number;
  users: number;
  clicks: number;
  conversions: number;
  revenue: number;
}

export interface ModeReport {
  experiment: string;
  shoppers: number;
  own: Record<string, OwnCounts>;
  server: Record<string, OwnCounts & { ctr: number; pValue?: number; lift?: number }>;
  interleaving?: { own: Outcomes; server: Outcomes & { pValue: number } };
  countsMatch: boolean;
  mismatches: string[];
  pValue: number | undefined;
  /** Shoppers after which p < 0.01 held to the end, in this run's order (undefined: never). */
  shoppersNeeded: number | undefined;
  /** The median of the same over many random orders of this run's shoppers (Infinity: most never). */
  shoppersNeededMedian: number;
  /**
   * The shoppers at which the test is expected to land on p = 0.01 (50 % power), from this run's per-shopper
   * rates: a forecast where the run's shoppers are too few to decide.
   */
  shoppersForecast: number;
}

export interface Outcomes {
  wins: number;
  losses: number;
  ties: number;
}

export interface ListItem {
  id: string;
  team?: string;
}
export interface ServedList {
  items: ListItem[];
  recommId: string;
  variant?: string;
}
export interface VariantResult {
  id: string;
  users: number;
  lists: number;
  clicks: number;
  ctr: number;
  conversions: number;
  revenue: number;
  lift?: number;
  pValue?: number;
}
export interface ExperimentBody {
  variants: VariantResult[];
  interleaving?: Outcomes & { pValue: number };
}
