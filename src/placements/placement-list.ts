import type { Item } from '../catalog/item.model';
import type { Reason } from '../recommendations/response';
import type { CompiledRule } from '../ranking/rules-stage';
import type { ListStrategy } from './dto/placement.schema';

/** What a placement answers with, and how an experiment variant may change how it is made. */

export interface PlacementItem {
  id: string;
  score: number;
  /** Interleaved lists: the experiment variant whose ranking drafted this item. */
  team?: string;
  reason?: Reason;
  /** Keys of the rules that changed this item's score or place (with `explain`, and always in previews). */
  rules?: string[];
  item?: Item;
}

export interface PlacementList {
  items: PlacementItem[];
  modelVersion: string | null;
  strategy: string;
  placement: string;
  revision?: number;
  /** Unique per served list (attribution); absent from previews, which no shopper sees. */
  recommId?: string;
  /** The experiment variant that produced the list, when one did. */
  variant?: string;
  /** The experiment the list was served under. */
  experiment?: string;
}

/**
 * How an experiment variant serves a placement; each field left out keeps the placement's own setting.
 */
export interface ServeVariant {
  /** Compiled rules replacing the placement's. */
  rules?: readonly CompiledRule[];
  strategy?: ListStrategy;
  /** This version's weights and blends instead of the active ones. */
  modelVersion?: string;
}

export interface ServeOptions {
  limit?: number;
  includeItems: boolean;
  explain: boolean;
}
