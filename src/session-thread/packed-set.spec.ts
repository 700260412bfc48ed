import { emptySessionSet, SESSION_BLEND_KEYS, sessionColumns } from '../ranking/session-ranking';
import { ownPacked, packedExamined, packGathered, unpackGathered } from './packed-set';
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
    const back = unpackGathered(
      structuredClone(p, { transfer: [p.buffer as ArrayBuffer] }),
      session,
      idsByRow(ids),
    );
    expect(back.set.size).toBe(ids.length);
    expect(back.set.ids).toEqual(ids);
    expect(back.set.knnVia).toEqual(g.set.knnVia);
    expect(back.set.transVia).toEqual(g.set.transVia);
    const [was, is] = [sessionColumns(g.set), sessionColumns(back.set)];
    for (const key of SESSION_BLEND_KEYS) expect(Array.from(is[key])).toEqual(Array.from(was[key]));
    expect(Array.from(back.set.itemRows)).toEqual(Array.from(g.set.itemRows));
    expect(Array.from(back.buyers)).toEqual(Array.from(g.buyers));
  });

  it('names each "via" item by its last place in a long session as in a short one', () => {
    // Past a cart's length the places are mapped rather than scanned: both must find an item's last place.
    const long = Array.from({ length: 40 }, (_, i) => `s-${i % 25}`);
    const ids = ['a', 'bé', 'c', 'z'];
    const g = gathered(ids);
    g.set.knnVia = ['s-3', 's-24', undefined, 's-10'];
    g.set.transVia = [undefined, 's-0', 's-14', 's-3'];
    for (const s of [long, long.slice(-20)]) {
      const p = packGathered(g, s);
      const ints = new Int32Array(p.buffer, p.byteOffset + 9 * 8 * ids.length, 4 * ids.length);
      const expectedAt = (via: Array<string | undefined>) =>
        via.map((id) => (id === undefined ? -1 : s.lastIndexOf(id)));
      expect(Array.from(ints.subarray(ids.length, 2 * ids.length))).toEqual(expectedAt(g.set.knnVia));
      expect(Array.from(ints.subarray(2 * ids.length, 3 * ids.length))).toEqual(expectedAt(g.set.transVia));
      const back = unpackGathered(p, s, idsByRow(ids));
      expect(back.set.knnVia).toEqual(g.set.knnVia);
      expect(back.set.transVia).toEqual(g.set.transVia);
    }
  });

  it('reports every item it read: the rows ascending, the items without a row by id, each whole', () => {
    const none = packGathered(gathered(['a']), session);
    expect(packedExamined(none)).toEqual({ rows: Int32Array.of(0), ids: [] });
    // Candidates a, c (rows 0, 20) and b, d (no row); rejected rows 15, 3 and ids without a row.
    const p = packGathered(gathered(['a', 'b', 'c', 'd'], [15, 3], ['r-1', 'é r 2']), session);
    const moved = structuredClone(p, { transfer: [p.buffer as ArrayBuffer] });
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
    structuredClone(p, { transfer: [p.buffer as ArrayBuffer] });
    expect(p.buffer.byteLength).toBe(0);
  });

  it('packs into a slot of shared memory when the set fits, and reads it back from there', () => {
    const arena = new SharedArrayBuffer(3 * 4096);
    const slot = { buffer: arena, byteOffset: 4096, byteLength: 4096 };
    // A slot reused: what an earlier, longer set left there must not show through.
    new Uint8Array(arena).fill(0xff);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const g = gathered(ids, [7]);
    g.set.knnVia = ['s-3', undefined, undefined, 'ü-2', undefined];
    const p = packGathered(g, session, slot);
    expect(p.buffer).toBe(arena);
    expect(p.byteOffset).toBe(4096);
    expect(p.byteLength).toBe(5 * 88 + 4 * 4);
    // Nothing outside the slot is written.
    expect(new Uint8Array(arena, 0, 4096).every((b) => b === 0xff)).toBe(true);
    expect(new Uint8Array(arena, 4096 + p.byteLength).every((b) => b === 0xff)).toBe(true);
    const back = unpackGathered(p, session, idsByRow(ids));
    expect(back.set.ids).toEqual(ids);
    expect(back.set.knnVia).toEqual(g.set.knnVia);
    expect(Array.from(back.set.cos)).toEqual(Array.from(g.set.cos));
    expect(Array.from(back.buyers)).toEqual(Array.from(g.buyers));
    expect(Array.from(packedExamined(p).rows)).toEqual([0, 7, 20, 40]);
    // A copy of its own outlives the slot's next set.
    const own = ownPacked(p);
    expect(own.buffer).toBeInstanceOf(ArrayBuffer);
    expect(own.byteOffset).toBe(0);
    packGathered(gathered(['q', 'r']), session, slot);
    expect(unpackGathered(own, session, idsByRow(ids)).set.ids).toEqual(ids);
    expect(Array.from(packedExamined(own).rows)).toEqual([0, 7, 20, 40]);
  });

  it('packs a set longer than its slot into a buffer of its own', () => {
    const slot = { buffer: new SharedArrayBuffer(256), byteOffset: 0, byteLength: 256 };
    const p = packGathered(gathered(['a', 'b', 'c', 'd']), session, slot);
    expect(p.buffer).toBeInstanceOf(ArrayBuffer);
    expect(p.byteLength).toBe(p.buffer.byteLength);
    expect(ownPacked(p)).toBe(p);
    expect(unpackGathered(p, session, idsByRow(['a', 'b', 'c', 'd'])).set.ids).toEqual(['a', 'b', 'c', 'd']);
  });

  it('packs an empty set', () => {
    const p = packGathered(gathered([]), session);
    const back = unpackGathered(p, session, []);
    expect(back.set.size).toBe(0);
    expect(back.set.ids).toEqual([]);
    expect(back.buyers).toHaveLength(0);
  });
});
