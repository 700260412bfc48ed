import { compileCondition, conditionIssues, type ItemDocument } from './item-condition';
import {
  applyRules,
  memoizeRules,
  nextBoundary,
  type CompiledRule,
  type StageCandidate,
} from './rules-stage';

const doc = (id: string, over: Partial<ItemDocument> = {}): ItemDocument => ({
  id,
  category: null,
  brand: null,
  price: 1,
  inStock: true,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  attributes: {},
  ...over,
});

/** a..j scored 10, 9, …, 1; brand "Acme" on c, f and i; category Home/Lighting on b and j. */
const CANDS: StageCandidate[] = 'abcdefghij'.split('').map((id, i) => ({
  id,
  score: 10 - i,
  doc: doc(id, {
    brand: 'cfi'.includes(id) ? 'Acme' : 'Other',
    category: 'bj'.includes(id) ? 'Home/Lighting' : 'Garden',
    price: i + 0.5,
  }),
}));
const NOW = Date.parse('2026-06-01T00:00:00Z');
const acme = compileCondition({ brand: 'Acme' });
const run = (rules: CompiledRule[], limit = 5, extra: Partial<Parameters<typeof applyRules>[0]> = {}) =>
  applyRules({ candidates: CANDS, pinnable: [], rules, context: { now: NOW }, limit, ...extra });
const ids = (r: ReturnType<typeof run>) => r.items.map((i) => i.id).join('');

describe('rules stage', () => {
  it('names the next window boundary after now, none when every window is behind or open-ended', () => {
    const at = (d: string) => Date.parse(d);
    const rules: CompiledRule[] = [
      { key: 'a', action: 'filter', from: at('2026-01-01T00:00:00Z'), until: at('2026-07-01T00:00:00Z') },
      { key: 'b', action: 'filter', from: at('2026-06-15T00:00:00Z') },
      { key: 'c', action: 'filter', until: at('2026-05-01T00:00:00Z') },
    ];
    expect(nextBoundary(rules, NOW)).toBe(at('2026-06-15T00:00:00Z'));
    expect(nextBoundary(rules, at('2026-06-20T00:00:00Z'))).toBe(at('2026-07-01T00:00:00Z'));
    expect(nextBoundary(rules, at('2026-08-01T00:00:00Z'))).toBe(Infinity);
  });

  it('remembered conditions are evaluated once per item and rank exactly as the plain ones', () => {
    let calls = 0;
    const counted = (d: ItemDocument) => {
      calls += 1;
      return acme(d);
    };
    const rules: CompiledRule[] = [
      { key: 'b', action: 'boost', weight: 3, match: counted },
      { key: 'p', action: 'promote', share: 0.4, match: counted },
    ];
    const plain = run(rules);
    const memo = memoizeRules(rules, 100);
    calls = 0;
    expect(ids(run(memo))).toBe(ids(plain));
    expect(calls).toBeLessThanOrEqual(CANDS.length * 2); // at most once per item and condition
    const first = calls;
    expect(ids(run(memo))).toBe(ids(plain));
    expect(calls).toBe(first); // the second list of the same items evaluates nothing
  });

  it('keeps `below` more ranked items beyond the shown ones, and reports pins with their places', () => {
    const r = run([{ key: 'pin', action: 'pin', itemIds: ['j'], position: 2 }], 4, {
      below: 3,
      pinnable: [CANDS[9]],
    });
    expect(ids(r)).toBe('ajbc');
    expect(r.ranked.map((i) => i.id).join('')).toBe('abcdef'); // 3 shown beside the pin, 3 below
    expect(r.pins.map((p) => [p.position, p.item.id])).toEqual([[2, 'j']]);
  });

  it('without rules keeps the ranking and cuts to the limit', () => {
    expect(ids(run([]))).toBe('abcde');
  });

  it('filter removes matching items and the list fills from below the cut', () => {
    const r = run([{ key: 'f1', action: 'filter', match: acme }]);
    expect(ids(r)).toBe('abdeg');
    expect(r.removed).toEqual({ f1: 3 });
  });

  it('boost multiplies matching scores by the weight and re-sorts', () => {
    const r = run([{ key: 'b', action: 'boost', match: acme, weight: 3 }]);
    // c 8→24, f 5→15, i 2→6; others unchanged: c24 f15 a10 b9 d7
    expect(ids(r)).toBe('cfabd');
    expect(r.items[0]).toMatchObject({ id: 'c', score: 24, rules: ['b'] });
    expect(r.items[2].rules).toEqual([]);
  });

  it('bury moves matching items down: c (8 → 4) falls below d and e', () => {
    const r = run([{ key: 'y', action: 'bury', match: acme, weight: 0.5 }], 6);
    // a10 b9 d7 e6, then c4 (place 2) and g4 (place 6): equal scores keep the original order
    expect(ids(r)).toBe('abdecg');
    expect(r.items.find((i) => i.id === 'c')!.score).toBe(4);
  });

  it('boost moves a negative score up too (divides instead of multiplying)', () => {
    const cands = [
      { id: 'p', score: -0.5, doc: doc('p') },
      { id: 'q', score: -1, doc: doc('q', { brand: 'Acme' }) },
    ];
    const r = applyRules({
      candidates: cands,
      pinnable: [],
      rules: [{ key: 'b', action: 'boost', match: acme, weight: 4 }],
      context: { now: NOW },
      limit: 2,
    });
    expect(r.items.map((i) => [i.id, i.score])).toEqual([
      ['q', -0.25],
      ['p', -0.5],
    ]);
  });

  it('promote reserves ⌊share × limit⌋ places for the best-ranked matches, no more', () => {
    // limit 5, share 0.4 → 2 places; c is already in the top 5, f is moved in at the end, e is displaced
    const r = run([{ key: 'pr', action: 'promote', match: acme, share: 0.4 }]);
    expect(ids(r)).toBe('abcdf');
    expect(r.items.filter((i) => i.rules.includes('pr')).map((i) => i.id)).toEqual(['c', 'f']);
    // share 0.6 → 3 places: c, f and i
    const r3 = run([{ key: 'pr', action: 'promote', match: acme, share: 0.6 }]);
    expect(ids(r3)).toBe('abcfi');
    // share 1 but only 3 Acme items: those 3, the rest from the ranking
    const all = run([{ key: 'pr', action: 'promote', match: acme, share: 1 }]);
    expect(ids(all)).toBe('abcfi');
    expect(all.items.filter((i) => i.rules.includes('pr'))).toHaveLength(3);
  });

  it('pin puts items at their positions, fetched from below the cut or from the pinnable set', () => {
    const z: StageCandidate = { id: 'z', score: 0, doc: doc('z') };
    const r = run([{ key: 'pin', action: 'pin', itemIds: ['z', 'h'], position: 2 }], 5, { pinnable: [z] });
    expect(ids(r)).toBe('azhbc');
    expect(r.items[1].rules).toEqual(['pin']);
  });

  it('a pin of an item that is neither a candidate nor pinnable is skipped', () => {
    expect(ids(run([{ key: 'pin', action: 'pin', itemIds: ['zz'], position: 1 }]))).toBe('abcde');
  });

  it('pins hold their place whatever boosts, promotions and filters do around them', () => {
    const r = run([
      { key: 'pin', action: 'pin', itemIds: ['j'], position: 1 },
      { key: 'b', action: 'boost', match: acme, weight: 3 },
      { key: 'f', action: 'filter', match: compileCondition({ id: 'a' }) },
    ]);
    // j pinned first; then c24 f15 b9 d7
    expect(ids(r)).toBe('jcfbd');
  });

  it('a filtered item is never pinned', () => {
    const r = run([
      { key: 'pin', action: 'pin', itemIds: ['c'], position: 1 },
      { key: 'f', action: 'filter', match: acme },
    ]);
    expect(ids(r)).toBe('abdeg');
  });

  it('rules outside their window or whose `when` fails do nothing', () => {
    const base = { key: 'f', action: 'filter' as const, match: acme };
    expect(ids(run([{ ...base, until: NOW }]))).toBe('abcde');
    expect(ids(run([{ ...base, from: NOW + 1 }]))).toBe('abcde');
    expect(ids(run([{ ...base, from: NOW - 1, until: NOW + 1 }]))).toBe('abdeg');
    const whenLamp = { ...base, when: compileCondition({ category: { $prefix: 'Home' } }) };
    expect(ids(run([whenLamp]))).toBe('abcde'); // no context item
    expect(ids(run([whenLamp], 5, { context: { now: NOW, item: doc('x', { category: 'Garden' }) } }))).toBe(
      'abcde',
    );
    expect(
      ids(run([whenLamp], 5, { context: { now: NOW, item: doc('x', { category: 'home/lighting/desk' }) } })),
    ).toBe('abdeg');
  });

  it('a list shorter than the limit after filtering returns what passes', () => {
    expect(ids(run([{ key: 'f', action: 'filter', match: compileCondition({ price: { $gte: 2 } }) }]))).toBe(
      'ab',
    );
  });
});

describe('conditions', () => {
  const d = doc('x1', {
    brand: 'Acme',
    price: 12,
    category: 'Home/Lighting',
    attributes: { margin: 0.35, colour: 'red' },
  });

  it('match MongoDB-style queries over the item fields and attributes', () => {
    expect(compileCondition({ 'attributes.margin': { $gte: 0.3 }, brand: { $in: ['Acme'] } })(d)).toBe(true);
    expect(compileCondition({ 'attributes.margin': { $gte: 0.4 } })(d)).toBe(false);
    expect(compileCondition({ $or: [{ price: { $lt: 5 } }, { 'attributes.colour': 'red' }] })(d)).toBe(true);
    expect(compileCondition({ price: { $not: { $gt: 10 } } })(d)).toBe(false);
    expect(compileCondition({ createdAt: { $lt: new Date('2026-02-01').toISOString() } })(d)).toBe(true);
    expect(compileCondition({ createdAt: { $gte: '2026-01-02' } })(d)).toBe(false);
    expect(compileCondition({ category: { $prefix: 'home' } })(d)).toBe(true);
    expect(compileCondition({ category: { $prefix: 'Hom' } })(d)).toBe(false);
    expect(compileCondition({ brand: null })(doc('n'))).toBe(true);
  });

  it('refuses operators outside the allow-list even when validation is skipped', () => {
    expect(() => compileCondition({ $where: 'true' })).toThrow(/Unsupported operation/);
    expect(() => compileCondition({ brand: { $regex: 'A' } })).toThrow(/Unsupported operation/);
  });

  it('names each problem by its path', () => {
    expect(conditionIssues({ price: { $gte: 'cheap' } })).toEqual([
      { path: ['price', '$gte'], message: 'must be a number' },
    ]);
    expect(conditionIssues({ $where: 'sleep()' })[0].path).toEqual(['$where']);
    expect(conditionIssues({ brand: { $function: {} } })[0].path).toEqual(['brand', '$function']);
    expect(conditionIssues({ colour: 'red' })[0].message).toMatch(/unknown field/);
    expect(conditionIssues({ brand: { $prefix: 'A' } })[0].path).toEqual(['brand', '$prefix']);
    expect(conditionIssues({ createdAt: { $gt: 'yesterday' } })[0].path).toEqual(['createdAt', '$gt']);
    expect(conditionIssues({ 'attributes.margin': { $in: [1, {}] } })[0].path).toEqual([
      'attributes.margin',
      '$in',
      1,
    ]);
    expect(conditionIssues({ 'attributes.margin': { $gte: 0.3 }, inStock: true })).toEqual([]);
  });

  it('refuses conditions nested over 10 levels', () => {
    let deep: Record<string, unknown> = { price: 1 };
    for (let i = 0; i < 9; i++) deep = { $and: [deep] };
    expect(conditionIssues(deep)).toEqual([]); // 9 × $and + the field = 10 levels
    const tooDeep = { $and: [deep] };
    expect(conditionIssues(tooDeep)[0].message).toMatch(/nested over 10 levels/);
  });
});
