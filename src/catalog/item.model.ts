import { createHash } from 'node:crypto';
import type { AttributeValue } from './item.entity';
import type { ItemInput } from './dto/item.schema';

/** An item as the API returns it. */
export interface Item {
  id: string;
  title: string;
  description: string | null;
  category: string | null;
  brand: string | null;
  price: number | null;
  inStock: boolean;
  attributes: Record<string, AttributeValue>;
  imageUrl: string | null;
  /** When the product went on sale (ISO-8601); default: when the catalog first saw it. */
  availableFrom: string;
  createdAt?: string;
  updatedAt?: string;
}

/** An item as stored, without its bookkeeping times: what catalog changes announce. */
export type StoredItem = Omit<Item, 'createdAt' | 'updatedAt'>;

/**
 * What a write stores. `availableFrom` undefined keeps the stored date (a new item: the moment it is written);
 * it is not part of the content hash, so a re-sent item that omits it is unchanged.
 */
export type ItemContent = Omit<StoredItem, 'availableFrom'> & { availableFrom?: string };

export function normalizeItem(input: ItemInput): ItemContent {
  return {
    id: input.id,
    title: input.title,
    description: input.description ?? null,
    category: input.category ?? null,
    brand: input.brand ?? null,
    price: input.price ?? null,
    inStock: input.inStock ?? true,
    attributes: input.attributes ?? {},
    imageUrl: input.imageUrl ?? null,
    // One spelling per instant, so "2024-05-01" and "2024-05-01T00:00:00Z" compare equal when stored.
    ...(input.availableFrom !== undefined
      ? { availableFrom: new Date(input.availableFrom).toISOString() }
      : {}),
  };
}

/** Hash of the canonical content (attribute keys sorted), so an identical re-send is detected as unchanged. */
export function contentHash(item: ItemContent): string {
  const attrs = Object.keys(item.attributes)
    .sort()
    .map((k) => [k, item.attributes[k]]);
  const canonical = JSON.stringify([
    item.title,
    item.description,
    item.category,
    item.brand,
    item.price,
    item.inStock,
    attrs,
    item.imageUrl,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
