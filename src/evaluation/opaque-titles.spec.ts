import { withOpaqueTitles } from './opaque-titles';

describe('withOpaqueTitles', () => {
  const items = [
    { id: '85123A', title: 'WHITE HANGING HEART T-LIGHT HOLDER', price: 2.55 },
    { id: '85123B', title: 'RED HANGING HEART T-LIGHT HOLDER', price: 2.55 },
  ];

  it('replaces each title with a code that shares no word with the old one and keeps every other field', () => {
    const out = withOpaqueTitles(items);
    expect(out.map((i) => i.id)).toEqual(['85123A', '85123B']);
    expect(out.map((i) => i.price)).toEqual([2.55, 2.55]);
    out.forEach((item, k) => {
      const before = new Set(items[k].title.toLowerCase().split(/\s+/));
      expect(item.title.split(' ').filter((w) => before.has(w.toLowerCase()))).toEqual([]);
      expect(item.title).not.toContain(item.id);
    });
  });

  it('gives distinct items distinct codes, the same on every run', () => {
    const [a, b] = withOpaqueTitles(items);
    expect(a.title).not.toBe(b.title);
    expect(withOpaqueTitles(items)[0].title).toBe(a.title);
  });
});
