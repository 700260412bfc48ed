import { fnv1a } from '../common/random';

/**
 * The items with every title replaced by an opaque code made from the item's id: a shop whose product text says
 * nothing about its products (public session datasets often ship hashed or no titles). The engine must then
 * rank by what its shoppers did; the classic baselines never read titles, so only the engine and the content row change.
 */
export function withOpaqueTitles<T extends { id: string; title: string }>(items: readonly T[]): T[] {
  // A hash, not the id itself: product codes carry structure (variants share a stem) that text can pick up.
  return items.map((item) => ({ ...item, title: `product ${fnv1a(item.id).toString(36)}` }));
}
