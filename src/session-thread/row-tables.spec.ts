import type { ItemMeta } from '../catalog/catalog-snapshot';
import { dot, normalize } from '../common/vectors';
import { mulberry32 } from '../common/random';
import { PurchaseSignals, type PurchasePair } from '../ranking/purchase-signals';
import { sessionQuery, type SessionSources } from '../ranking/session-ranking';
import { neighbourLists } from '../ranking/testing/neighbour-lists';
import { itemFilter, type ItemRuleOptions } from '../recommendations/filters';
import { gatherCandidateSet } from './gather';
import { RowTables } from './row-tables';
import type { GatheredSet } from './session-thread.protocol';

const rnd = mulberry32(11);
const asOf = new Date('2011-06-01T00:00:00Z');
/** 60 items: the first 45 are sold (they have signals rows), the rest never were. */
const ids = Array.from({ length: 60 }, (_, i) => `i${i}`);
const pairs: PurchasePair[] = [];
for (let u = 0; u < 80; u++)
  for (let k = 0; k < 6; k++)
    pairs.push({
      userId: `u${u}`,
      itemId: ids[Math.floor(rnd() * 45)],
      rows: 1 + Math.floor(rnd() * 2),
      lastAt: new Date(asOf.getTime() - Math.floor(rnd() * 60) * 86_400_000),
    });
const transitions = neighbourLists(
  Object.fromEntries(
    ids
      .slice(0, 30)
      .map((id) => [id, [0, 1, 2].map((j): [string, number] => [ids[(+id.slice(1) * 7 + j) % 50], 0.3])]),
  ),
);
const signals = PurchaseSignals.fromPairs(pairs, asOf, 30, transitions);

const CATEGORIES = ['Home', 'Home/Lighting', 'Garden', null];
function randomMeta(): ItemMeta {
  return {
    title: 'x',
    category: CATEGORIES[Math.floor(rnd() * CATEGORIES.length)],
    price: rnd() < 0.1 ? null : Math.round(rnd() * 100),
    inStock: rnd() < 0.8,
    availableFrom: 0,
  };
}
const randomVector = () => normalize(Float32Array.from({ length: 8 }, () => rnd() - 0.5));

/** The catalog (a few items left it) and the vectors (a few items have none). */
const metas = new Map<string, ItemMeta>(ids.filter(() => rnd() < 0.9).map((id) => [id, randomMeta()]));
let vectors = new Map<string, Float32Array>(ids.filter(() => rnd() < 0.9).map((id) => [id, randomVector()]));

const RULES: ItemRuleOptions[] = [
  { inStockOnly: false },
  { inStockOnly: true },
  { category: 'Home', inStockOnly: true },
  { inStockOnly: false, minPrice: 20, maxPrice: 70 },
];

function sources(): SessionSources {
  return {
    signals,
    vectorOf: (id) => vectors.get(id),
    // Exact search over every vector, nearest first.
    nearest: (v, k, pass) =>
      [...vectors]
        .filter(([id]) => pass(id))
        .map(([id, w]) => ({ id, score: dot(v, w) }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, k),
  };
}

/** The ids a gathering reports as turned away: by row where they have one (their row must be theirs). */
function rejectedIds(g: GatheredSet): string[] {
  for (const id of g.rejectedIds) expect(signals.rowOf(id)).toBe(-1);
  return [...g.rejectedRows.map((row) => signals.idsByRow[row]), ...g.rejectedIds];
}

/** Gathers every session under every rule set by id and by row, and expects the same sets. */
function expectRowsAnswerAsIds(tables: RowTables): { compared: number; rejected: number } {
  let compared = 0;
  let rejected = 0;
  for (let s = 0; s < 12; s++) {
    const session = Array.from({ length: 1 + (s % 5) }, () => ids[Math.floor(rnd() * 60)]);
    const query = sessionQuery(session.flatMap((id) => vectors.get(id) ?? []));
    for (const rules of RULES) {
      const excluded = [...session, ids[Math.floor(rnd() * 60)]];
      const pass = itemFilter((id) => metas.get(id), rules, new Set(excluded));
      // Every id the filter refused is among the rejected, and only refused ones are (an id that passed is a
      // candidate, or came after the sources had their fill: its change could not change the set).
      const asked = new Set<string>();
      const byId = gatherCandidateSet(sources(), session, query, (id) => (asked.add(id), pass(id)));
      const refused = rejectedIds(byId);
      expect([...asked].filter((id) => !pass(id) && !refused.includes(id))).toEqual([]);
      expect(refused.filter((id) => pass(id))).toEqual([]);
      const byRow = tables.forRequest(rules, excluded);
      // The row answers directly, for every row…
      const rows = signals.idsByRow;
      expect(rows.map((_, row) => byRow.pass(row))).toEqual(rows.map((id) => pass(id)));
      expect(rows.filter((id, row) => byRow.vectorAt(row) !== vectors.get(id))).toEqual([]);
      // …and through a gathering.
      const viaRows = gatherCandidateSet({ ...sources(), byRow }, session, query, pass);
      expect(viaRows.set).toEqual(byId.set);
      expect(rejectedIds(viaRows).sort()).toEqual(refused.sort());
      compared += byId.set.size;
      rejected += refused.length;
    }
  }
  return { compared, rejected };
}

describe('RowTables', () => {
  it('answers by row as the filter and the vector map do by id, through item, catalog and vector changes', () => {
    expect(signals.idsByRow.length).toBeGreaterThan(30);
    const tables = new RowTables();
    tables.setSignals(
      signals,
      (id) => metas.get(id),
      (id) => vectors.get(id),
    );
    const first = expectRowsAnswerAsIds(tables);
    expect(first.compared).toBeGreaterThan(100);
    expect(first.rejected).toBeGreaterThan(10);

    // Single items change: one leaves the catalog, one runs out of stock, one moves category, one comes back, and
    // one never sold (no row) leaves.
    const changes: Array<[string, ItemMeta | undefined]> = [
      ['i1', undefined],
      ['i2', { ...randomMeta(), inStock: false }],
      ['i3', { ...randomMeta(), category: 'Garden' }],
      ['i4', { ...randomMeta(), inStock: true }],
      ['i50', undefined],
    ];
    for (const [id, meta] of changes) {
      if (meta) metas.set(id, meta);
      else metas.delete(id);
      tables.setMeta(id, meta);
    }
    expectRowsAnswerAsIds(tables);

    // The catalog read again as a whole.
    for (const id of ids) metas.set(id, randomMeta());
    tables.resetMeta((id) => metas.get(id));
    expectRowsAnswerAsIds(tables);

    // Another index's vectors.
    vectors = new Map(ids.map((id) => [id, randomVector()]));
    tables.setVectors((id) => vectors.get(id));
    expectRowsAnswerAsIds(tables);
  });

  it("excludes only the current request's ids", () => {
    const tables = new RowTables();
    const allIn = new Map(ids.map((id) => [id, { ...randomMeta(), inStock: true }]));
    tables.setSignals(
      signals,
      (id) => allIn.get(id),
      () => undefined,
    );
    const [a, b] = signals.idsByRow;
    const first = tables.forRequest({ inStockOnly: false }, [a]);
    expect(first.pass(signals.rowOf(a))).toBe(false);
    expect(first.pass(signals.rowOf(b))).toBe(true);
    const second = tables.forRequest({ inStockOnly: false }, [b]);
    expect(second.pass(signals.rowOf(a))).toBe(true);
    expect(second.pass(signals.rowOf(b))).toBe(false);
  });
});
