import { emptySessionSet, SESSION_BLEND_KEYS, sessionColumns } from '../ranking/session-ranking';
import { packedExamined, packGathered, unpackGathered } from './packed-set';
import type { GatheredSet } from './session-thread.protocol';

function gathered(ids: string[], rejectedRows: number[] = [], rejectedIds: string[] = []): GatheredSet {
  const set = emptySessionSet(ids);
  ids.forEach((_, i) => {
    set.cos[i] = 0.5 + i / 100;
    set.cosFlat[i] = -i;
    set.knn[i] = i * 1.5;
    set.knnRecent[i] = i / 3;
    set.trans[i] = 1 / (i + 1);
    set.transRecent[i] = i * i;
    set.logTrend[i] = Math.log1p(i);
    set.logPop[i] = Math.log1p(2 * i);
    set.itemRows[i] = i % 2 === 0 ? i * 10 : -1;
  });
  return { set, buyers: Float64Array.from(ids, (_, i) => i * 7), rejectedRows, rejectedIds };
}

/** The signals' ids by row that `gathered(ids)` numbers its candidates with (every other one has a row). */
function idsByRow(ids: string[]): string[] {
  const byRow = Array.from({ length: 10 * ids.length + 1 }, (_, r) => `other-${r}`);
  ids.forEach((id, i) => {
    if (i % 2 === 0) byRow[i * 10] = id;
  });
  return byRow;
}

describe('packed candidate sets (what the session thread sends)', () => {
  const session = ['s-1', 'ü-2', 's-3', 's-1'];

  it('unpacks every column, id and "via" item exactly as gathered', () => {
    const ids = ['a', 'bé', 'a-much-longer-item-id-than-the-rest', '', '漢字', 'z'];
    const g = gathered(ids);
    g.set.knnVia = ['s-1', undefined, 'ü-2', 's-3', undefined, 's-1'];
    g.set.transVia = [undefined, 's-3', undefined, 'ü-2', 's-1', undefined];
    const p = packGathered(g, session);
    // Only the ids without a row travel as text.
    expect(p.ids).toBe('bé' + '' + 'z');
    const back = unpackGathered(structuredClone(p, { transfer: [p.buffer] }), session, idsByRow(ids));
    expect(back.set.size).toBe(ids.length);
    expect(back.set.ids).toEqual(ids);
    expect(back.set.knnVia).toEqual(g.set.knnVia);
    expect(back.set.transVia).toEqual(g.set.transVia);
    const [was, is] = [sessionColumns(g.set), sessionColumns(back.set)];
    for (const key of SESSION_BLEND_KEYS) expect(Array.from(is[key])).toEqual(Array.from(was[key]));
    expect(Array.from(back.set.itemRows)).toEqual(Array.from(g.set.itemRows));
    expect(Array.from(back.buyers)).toEqual(Array.from(g.buyers));
  });

  it('reports every item it read: the rows ascending, the items without a row by id, each whole', () => {
    const none = packGathered(gathered(['a']), session);
    expect(packedExamined(none)).toEqual({ rows: Int32Array.of(0), ids: [] });
    // Candidates a, c (rows 0, 20) and b, d (no row); rejected rows 15, 3 and ids without a row.
    const p = packGathered(gathered(['a', 'b', 'c', 'd'], [15, 3], ['r-1', 'é r 2']), session);
    const moved = structuredClone(p, { transfer: [p.buffer] });
    const examined = packedExamined(moved);
    expect(Array.from(examined.rows)).toEqual([0, 3, 15, 20]);
    expect(examined.ids).toEqual(['b', 'd', 'r-1', 'é r 2']);
    // The rows are read in place, after the columns, which they leave as they were.
    expect(examined.rows.buffer).toBe(moved.buffer);
    expect(unpackGathered(moved, session, idsByRow(['a', 'b', 'c', 'd'])).set.ids).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('moves the numbers in one buffer: the sender keeps none of it', () => {
    const p = packGathered(gathered(['x', 'y']), session);
    structuredClone(p, { transfer: [p.buffer] });
    expect(p.buffer.byteLength).toBe(0);
  });

  it('packs an empty set', () => {
    const p = packGathered(gathered([]), session);
    const back = unpackGathered(p, session, []);
    expect(back.set.size).toBe(0);
    expect(back.set.ids).toEqual([]);
    expect(back.buyers).toHaveLength(0);
  });
});
