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
  item?: Item;
}

export interface RecommendationList {
  items: RecommendedItem[];
  modelVersion: string | null;
  strategy: string;
}

/** A list as answered: unique per response, so clicks and sales can name the list that earned them. */
export type ServedRecommendationList = RecommendationList & { recommId: string };
