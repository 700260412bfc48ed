import type { ItemMeta } from '../catalog/catalog-snapshot';
import type { ListOptions } from './dto/options.schema';

export type ItemRuleOptions = Pick<ListOptions, 'category' | 'minPrice' | 'maxPrice' | 'inStockOnly'>;

/**
 * The business rules of a list over an item's catalog fields: live (it has fields: it is in the catalog
 * snapshot), in stock, category prefix (on path segments: "Home" matches "Home/Lighting", not "Homeware"), price
 * range.
 */
export function itemRules(opts: ItemRuleOptions): (m: ItemMeta | undefined) => boolean {
  const category = opts.category?.replace(/\/+$/, '').toLowerCase();
  return (m) => {
    if (!m) return false;
    if (opts.inStockOnly && !m.inStock) return false;
    if (category) {
      const c = m.category?.toLowerCase();
      if (!c || (c !== category && !c.startsWith(`${category}/`))) return false;
    }
    if (opts.minPrice !== undefined && (m.price === null || m.price < opts.minPrice)) return false;
    if (opts.maxPrice !== undefined && (m.price === null || m.price > opts.maxPrice)) return false;
    return true;
  };
}

/** The business rules (itemRules) and the excluded ids as one predicate over item ids. */
export function itemFilter(
  lookup: (id: string) => ItemMeta | undefined,
  opts: ItemRuleOptions,
  excluded: ReadonlySet<string>,
): (id: string) => boolean {
  const rules = itemRules(opts);
  return (id) => !excluded.has(id) && rules(lookup(id));
}
