import type { Item } from '../catalog/item.model';

export type Reason =
  | { type: 'similar-to'; itemIds: string[] }
  | { type: 'bought-before'; count?: number }
  | { type: 'co-purchased-with'; itemIds: string[] }
  | { type: 'bought-after'; itemIds: string[] }
  | { type: 'popular'; buyers?: number }
  | { type: 'matches-text' };

export interface RecommendedItem {
  id: string;
  score: number;
  reason?: Reason;
  /** Keys of the merchandising rules that changed this item's score or place (lists made with rules). */
  rules?: string[];
  item?: Item;
}

/** What a rules stage did to a list (placements and their previews). */
export interface StageSummary {
  /** Keys of the rules in force. */
  active: string[];
  /** How many candidates each filter rule removed. */
  removed: Record<string, number>;
  /** Candidates the stage ranked. */
  candidates: number;
}

export interface RecommendationList {
  items: RecommendedItem[];
  modelVersion: string | null;
  strategy: string;
  /** Lists made with a rules stage: what it did. */
  stage?: StageSummary;
}

/** A list as answered: unique per response, so clicks and sales can name the list that earned them. */
export type ServedRecommendationList = RecommendationList & { recommId: string };
