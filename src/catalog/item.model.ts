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
  createdAt?: string;
  updatedAt?: string;
}

export type ItemContent = Omit<Item, 'createdAt' | 'updatedAt'>;

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
