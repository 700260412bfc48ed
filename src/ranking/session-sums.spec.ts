import type { ItemNeighbours } from './neighbour-lists';
import { keepBest, SessionSums, walkRanked } from './session-sums';

/** Every neighbour id the tests name, in id order: their ranks (ItemNeighbours.ranks). */
const ID_ORDER = ['X', 'Y', 'a', 'b', 'c', 'd', 'e'].sort();

/** A neighbour list over rows named by the test (the row numbers stand for a source's dense numbering). */
function list(entries: Array<[string, number, number]>): ItemNeighbours {
  const idOfRow: string[] = [];
  for (const [id, row] of entries) idOfRow[row] = id;
  return {
    ids: entries.map(([id]) => id),
    idOfRow,
    ranks: Int32Array.from(entries.map(([id]) => ID_ORDER.indexOf(id))),
    rows: Int32Array.from(entries.map(([, row]) => row)),
    sims: Float32Array.from(entries.map(([, , sim]) => sim)),
  };
}

function ranked(sums: SessionSums, values: Float64Array, expect: number, take = Infinity): string[] {
  const out: string[] = [];
  walkRanked(sums, values, expect, (slot) => {
    if (out.length >= take) return false;
    out.push(sums.idAt(slot));
    return true;
  });
  return out;
}

describe('SessionSums', () => {
  it('sums flat and weighed similarities per neighbour and names the item with the strongest weighed one', () => {
    const sums = new SessionSums();
    sums.reset();
    sums.add(0, 0.5, list([['X', 7, 0.75]]));
    sums.add(
      1,
      1,
      list([
        ['X', 7, 0.25],
        ['Y', 3000, 0.5],
      ]),
    );
    expect(sums.count).toBe(2);
    // Slots in the order rows were first touched.
    expect([sums.slotOf(7), sums.slotOf(3000), sums.slotOf(5), sums.slotOf(-1)]).toEqual([0, 1, -1, -1]);
    expect([...sums.touched.subarray(0, 2)]).toEqual([7, 3000]);
    expect(sums.flat[0]).toBe(1);
    expect(sums.sum[0]).toBe(0.625);
    // 0.5·0.75 = 0.375 beats 1·0.25.
    expect(sums.via[0]).toBe(0);
    expect(sums.idAt(1)).toBe('Y');
    expect(sums.sum[1]).toBe(0.5);
  });

  it('starts every call afresh without clearing', () => {
    const sums = new SessionSums();
    sums.reset();
    sums.add(0, 1, list([['X', 2, 0.5]]));
    sums.reset();
    sums.add(
      0,
      1,
      list([
        ['Y', 5, 0.25],
        ['X', 2, 0.125],
      ]),
    );
    expect(sums.count).toBe(2);
    // Row 2, touched first in the last call only, is its second slot; row 5 its first.
    expect(sums.slotOf(2)).toBe(1);
    expect(sums.flat[1]).toBe(0.125);
    expect(sums.slotOf(5)).toBe(0);
    expect(ranked(sums, sums.flat, 10)).toEqual(['Y', 'X']);
    // A row the current call did not touch has no slot, whatever an earlier call gave it.
    sums.reset();
    sums.add(0, 1, list([['Y', 5, 0.5]]));
    expect([sums.slotOf(5), sums.slotOf(2)]).toEqual([0, -1]);
  });

  it('walks rows by value descending, ties by id, reading past its first head when asked for more', () => {
    const sums = new SessionSums();
    sums.reset();
    sums.add(
      0,
      1,
      list([
        ['d', 0, 0.25],
        ['c', 1, 0.5],
        ['b', 2, 0.25],
        ['a', 3, 0.125],
        ['e', 4, 0.5],
      ]),
    );
    expect(ranked(sums, sums.flat, 1)).toEqual(['c', 'e', 'b', 'd', 'a']);
    expect(ranked(sums, sums.flat, 2, 3)).toEqual(['c', 'e', 'b']);
  });

  describe('keepBest', () => {
    /** A deterministic generator (mulberry32): the cases are the same on every run. */
    function random(seed: number): () => number {
      let a = seed;
      return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    /** `n` neighbours with similarities from a few values (many ties), in a random order of rows and ids. */
    function randomSums(rand: () => number, n: number): SessionSums {
      const rows = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
      const ranks = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
      const sims = Array.from({ length: n }, () => Math.ceil(rand() * 8) / 8);
      const idOfRow: string[] = [];
      rows.forEach((row) => (idOfRow[row] = `i${row}`));
      const sums = new SessionSums();
      sums.reset();
      sums.add(0, 1, {
        ids: rows.map((r) => `i${r}`),
        idOfRow,
        ranks: Int32Array.from(ranks),
        rows: Int32Array.from(rows),
        sims: Float32Array.from(sims),
      });
      return sums;
    }

    /**
     * The reference: every slot sorted by value descending, ties by rank ascending, asked in that order until
     * `need` are kept.
     */
    function orderedWalk(sums: SessionSums, need: number, refuses: (slot: number) => boolean) {
      const order = Array.from({ length: sums.count }, (_, i) => i).sort(
        (a, b) => sums.flat[b] - sums.flat[a] || sums.rankOf[a] - sums.rankOf[b],
      );
      const asked: number[] = [];
      const kept: number[] = [];
      for (const slot of order) {
        if (kept.length >= need) break;
        asked.push(slot);
        if (!refuses(slot)) kept.push(slot);
      }
      return { asked: asked.sort((a, b) => a - b), kept: kept.sort((a, b) => a - b) };
    }

    it('asks about and keeps exactly the slots an ordered walk does, each slot asked once, whatever it refuses', () => {
      const rand = random(7);
      let refusedSome = 0;
      let pastHeadroom = 0;
      for (let c = 0; c < 300; c++) {
        const n = 1 + Math.floor(rand() * 700);
        const sums = randomSums(rand, n);
        const need = 1 + Math.floor(rand() * 80);
        // None refused, a few (a session's own items), or many (a rule that filters a category).
        const share = [0, 0.03, 0.5][c % 3];
        const refusedSlots = new Set<number>();
        for (let slot = 0; slot < n; slot++) if (rand() < share) refusedSlots.add(slot);
        const asked: number[] = [];
        const kept: number[] = [];
        keepBest(sums, sums.flat, need, (slot) => {
          asked.push(slot);
          if (refusedSlots.has(slot)) return false;
          kept.push(slot);
          return true;
        });
        const want = orderedWalk(sums, need, (slot) => refusedSlots.has(slot));
        expect(new Set(asked).size).toBe(asked.length);
        expect(asked.sort((a, b) => a - b)).toEqual(want.asked);
        expect(kept.sort((a, b) => a - b)).toEqual(want.kept);
        if (want.asked.length > want.kept.length) refusedSome++;
        if (want.asked.length > need + 16) pastHeadroom++;
      }
      // The cases reach every path: refusals settled within the headroom and past it.
      expect(refusedSome).toBeGreaterThan(100);
      expect(pastHeadroom).toBeGreaterThan(20);
    });
  });
});
