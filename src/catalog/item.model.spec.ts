import { contentHash, normalizeItem } from './item.model';

describe('contentHash', () => {
  const base = normalizeItem({ id: 'a', title: 'RED MUG', attributes: { colour: 'red', size: 2 } });

  it('does not depend on attribute order', () => {
    const reordered = normalizeItem({ id: 'a', title: 'RED MUG', attributes: { size: 2, colour: 'red' } });
    expect(contentHash(reordered)).toBe(contentHash(base));
  });

  it('treats an omitted inStock as true and changes with any field', () => {
    expect(
      contentHash(
        normalizeItem({ id: 'a', title: 'RED MUG', attributes: { colour: 'red', size: 2 }, inStock: true }),
      ),
    ).toBe(contentHash(base));
    expect(contentHash({ ...base, price: 1 })).not.toBe(contentHash(base));
    expect(contentHash({ ...base, inStock: false })).not.toBe(contentHash(base));
    expect(contentHash({ ...base, title: 'RED MUGS' })).not.toBe(contentHash(base));
  });
});
