import type { ItemMeta } from '../catalog/catalog-snapshot';
import type { ListOptions } from './dto/options.schema';

/**
 * The business rules of a list as one predicate over item ids: live (in the catalog snapshot), in stock,
 * category prefix (on path segments: "Home" matches "Home/Lighting", not "Homeware"), price range, excluded ids.
 */
export function itemFilter(
  lookup: (id: string) => ItemMeta | undefined,
  opts: Pick<ListOptions, 'category' | 'minPrice' | 'maxPrice' | 'inStockOnly'>,
  excluded: ReadonlySet<string>,
): (id: string) => boolean {
  const category = opts.category?.replace(/\/+$/, '').toLowerCase();
  return (id) => {
    if (excluded.has(id)) return false;
    const m = lookup(id);
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
