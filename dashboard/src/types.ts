/** Response shapes of the public API (docs/api.md), as far as the dashboard reads them. */

export type Scope = 'read' | 'write' | 'admin';

export interface Whoami {
  open: boolean;
  scopes: Scope[];
}

export interface Item {
  id: string;
  title: string;
  description?: string;
  category?: string;
  brand?: string;
  price?: number;
  inStock?: boolean;
  imageUrl?: string;
  attributes?: Record<string, string | number | boolean>;
  createdAt?: string;
  updatedAt?: string;
}

export type Reason =
  | { type: 'similar-to'; itemIds: string[] }
  | { type: 'bought-before'; count?: number }
  | { type: 'co-purchased-with'; itemIds: string[] }
  | { type: 'bought-after'; itemIds: string[] }
  | { type: 'popular'; buyers?: number }
  | { type: 'matches-text' }
  | { type: string; itemIds?: string[] };

export interface RecommendedItem {
  id: string;
  score: number;
  reason?: Reason;
  item?: Item;
}

export interface RecommendationList {
  items: RecommendedItem[];
  modelVersion: string | null;
  strategy: string;
}

export interface UserEvent {
  eventId?: string;
  itemId: string;
  type: 'view' | 'add_to_cart' | 'purchase' | 'rating';
  value?: number;
  sessionId?: string;
  timestamp: string;
}

export interface Stats {
  items: number;
  users: number;
  events: number;
  index: { size: number; dimension: number; modelVersion: string; builtAt: string; efSearch: number } | null;
  encoder: string | null;
  activeModel: string | null;
}

export interface EpochLoss {
  epoch: number;
  trainLoss: number;
  validationLoss: number | null;
}

export interface ModelMetrics {
  validationCases?: number;
  validationNdcg?: number;
  activeValidationNdcg?: number;
  activeVersion?: string | null;
  initialValidationLoss?: number | null;
  epochs?: EpochLoss[];
  trainPairs?: number;
  validationPairs?: number;
  [other: string]: unknown;
}

export interface ModelVersion {
  version: string;
  encoderId: string;
  status: string;
  metrics: ModelMetrics;
  createdAt: string;
  activatedAt: string | null;
}

export interface ModelsResponse {
  active: string | null;
  versions: ModelVersion[];
  /** The blends this server ranks with and where they came from. */
  servedBlends: {
    modelVersion: string;
    source: 'version' | 'retuned' | 'defaults';
    retunedAt: string | null;
  };
}

export interface Job {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: { done: number; total: number };
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
  result?: Record<string, unknown>;
}

/** A conversion figure of the analytics endpoint: by recommId, and through the attribution window. */
export interface Attributed {
  reported: number;
  estimated: number;
}

export interface AnalyticsRow {
  day?: string;
  placement?: string;
  variant?: string;
  modelVersion?: string;
  lists: number;
  itemsShown: number;
  clicks: number;
  ctr: number;
  addToCarts: Attributed;
  purchases: Attributed;
  conversionRate: Attributed;
  revenue: Attributed;
  revenuePerThousandLists: Attributed;
}

export const PLACEMENT_KINDS = [
  'for-you',
  'similar',
  'complements',
  'buy-again',
  'trending',
  'new-arrivals',
  'search',
] as const;
export type PlacementKind = (typeof PLACEMENT_KINDS)[number];

export const RULE_ACTIONS = ['boost', 'bury', 'filter', 'pin', 'promote'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** A merchandising condition: a MongoDB-style query over an item's fields (api.md, Placements). */
export type Condition = Record<string, unknown>;

export interface Rule {
  id?: string;
  action: RuleAction;
  match?: Condition;
  when?: Condition;
  weight?: number;
  itemIds?: string[];
  position?: number;
  share?: number;
  from?: string;
  until?: string;
}

export interface PlacementFilters {
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  inStockOnly?: boolean;
  excludePurchased?: boolean;
}

/** The body of PUT /v1/admin/placements/:id. */
export interface PlacementDefinition {
  kind: PlacementKind;
  title?: string;
  limit?: number;
  filters?: PlacementFilters;
  diversity?: number;
  rules?: Rule[];
}

export interface StoredPlacement extends PlacementDefinition {
  id: string;
  revision: number;
  updatedAt: string;
  updatedBy: string;
}

export interface PlacementRevision {
  revision: number;
  createdAt: string;
  createdBy: string;
  restoredFrom?: number;
  definition: PlacementDefinition;
}

/** The shopper a preview is computed for: which fields matter depends on the placement's kind. */
export interface PreviewContext {
  userId?: string;
  itemId?: string;
  itemIds?: string[];
  text?: string;
}

export interface PreviewItem extends RecommendedItem {
  /** Keys of the rules that changed this item's score or place (a rule's id, else `rules[i]`). */
  rules?: string[];
}

export interface PreviewSide {
  items: PreviewItem[];
  strategy: string;
  activeRules: string[];
  removedByRule: Record<string, number>;
  source?: string;
}

/** POST /v1/admin/placements/:id/preview */
export interface Preview {
  placement: string;
  withDraft: PreviewSide;
  withoutDraft: PreviewSide;
  empty: boolean;
  warnings: string[];
  modelVersion: string | null;
}

export const EXPERIMENT_MODES = ['ab', 'interleave'] as const;
export type ExperimentMode = (typeof EXPERIMENT_MODES)[number];

/** One variant's results (api.md, Experiments); the rates beyond CTR are read when the server gives them. */
export interface VariantResult {
  id: string;
  weight?: number;
  modelVersion?: string;
  strategy?: string;
  rules?: Rule[];
  users: number;
  lists: number;
  clicks: number;
  ctr: number;
  ctrInterval: [number, number];
  conversions: number;
  revenue: number;
  /** CTR against the first variant (the control): a ratio, 0.1 = 10 % more clicks per list. */
  lift?: number;
  pValue?: number;
  conversionRate?: number;
  conversionRateInterval?: [number, number];
  revenuePerList?: number;
  revenuePerListInterval?: [number, number];
}

/** One day's figures of one variant, when the server gives a series. */
export interface ExperimentDay {
  day: string;
  variant: string;
  lists: number;
  clicks: number;
  conversions?: number;
  revenue?: number;
}

export interface Experiment {
  id: string;
  placement: string;
  mode: ExperimentMode;
  status: string;
  variants: VariantResult[];
  interleaving?: { wins: number; losses: number; ties: number; pValue: number; noClicks?: number };
  startAt?: string | null;
  endAt?: string | null;
  createdAt?: string;
  stoppedAt?: string | null;
  promotedVariant?: string | null;
  series?: ExperimentDay[];
  /** Which statistical test gives the p-values, in words. */
  method?: string;
}
