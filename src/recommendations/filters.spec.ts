import type { ItemMeta } from '../catalog/catalog-snapshot';
import { itemFilter } from './filters';

const availableFrom = Date.UTC(2026, 0, 1);
const items: Record<string, ItemMeta> = {
  lamp: { title: 'Lamp', category: 'Home/Lighting', price: 20, inStock: true, availableFrom },
  bulb: { title: 'Bulb', category: 'Home/Lighting/Bulbs', price: 2, inStock: false, availableFrom },
  mug: { title: 'Mug', category: 'Homeware', price: 5, inStock: true, availableFrom },
  free: { title: 'Sticker', category: null, price: null, inStock: true, availableFrom },
};
const lookup = (id: string) => items[id];
const base = { inStockOnly: false };
const pass = (f: (id: string) => boolean) => Object.keys(items).filter(f).concat('gone').filter(f).sort();

describe('itemFilter', () => {
  it('matches category prefixes on whole path segments, case-insensitively', () => {
    expect(pass(itemFilter(lookup, { ...base, category: 'home' }, new Set()))).toEqual(['bulb', 'lamp']);
    expect(pass(itemFilter(lookup, { ...base, category: 'Home/Lighting/' }, new Set()))).toEqual([
      'bulb',
      'lamp',
    ]);
  });

  it('applies stock, price range and exclusions; unknown ids never pass', () => {
    expect(pass(itemFilter(lookup, { inStockOnly: true }, new Set(['mug'])))).toEqual(['free', 'lamp']);
    expect(pass(itemFilter(lookup, { ...base, minPrice: 3, maxPrice: 20 }, new Set()))).toEqual([
      'lamp',
      'mug',
    ]);
  });
});
