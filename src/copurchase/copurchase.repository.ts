import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { DenseIds } from '../ranking/dense-ids';
import { NeighbourLists, shared } from '../ranking/neighbour-lists';
import { nextTurn } from '../ranking/paced';

/** What the neighbours table currently holds. */
export interface CopurchaseBuild {
  generation: string;
  asOf: Date;
  computedAt: Date;
  items: number;
  neighbours: number;
  jobId: string | null;
}

/** A whole computation in CSR form: item k's neighbours are neighbors[offsets[k] .. offsets[k+1]). */
export interface NeighbourCsr {
  itemIds: readonly string[];
  offsets: Int32Array;
  /** Positions in itemIds. */
  neighbors: Int32Array;
  similarities: Float64Array | Float32Array;
}

interface BuildRow {
  generation: string;
  as_of: Date;
  computed_at: Date;
  items: number;
  neighbours: number;
  job_id: string | null;
}

const toBuild = (r: BuildRow): CopurchaseBuild => ({
  generation: String(r.generation),
  asOf: r.as_of,
  computedAt: r.computed_at,
  items: r.items,
  neighbours: r.neighbours,
  jobId: r.job_id,
});

/** Rows per INSERT … unnest: big enough to be fast, small enough that serialising one never stalls the loop. */
export const WRITE_CHUNK_ROWS = 20_000;

/** The item_neighbours table and its build row. */
@Injectable()
export class CopurchaseRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async current(): Promise<CopurchaseBuild | null> {
    const rows: BuildRow[] = await this.db.query(`SELECT * FROM copurchase_build WHERE id = 1`);
    return rows[0] ? toBuild(rows[0]) : null;
  }

  /**
   * Replaces every neighbour row and the build row in one transaction: readers keep seeing the previous
   * computation until the commit, and a failure anywhere leaves it untouched. DELETE rather than TRUNCATE so
   * concurrent readers are not blocked behind an exclusive lock while the new rows are written.
   */
  async replace(
    csr: NeighbourCsr,
    meta: { asOf: Date; jobId: string | null; transitions?: NeighbourCsr },
    progress: (done: number, total: number) => void = () => undefined,
    chunkRows = WRITE_CHUNK_ROWS,
  ): Promise<CopurchaseBuild> {
    const total = csr.offsets[csr.itemIds.length] ?? 0;
    const next = meta.transitions;
    const nextTotal = next ? (next.offsets[next.itemIds.length] ?? 0) : 0;
    return this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM item_neighbours`);
      await tx.query(`DELETE FROM item_transitions`);
      await writeCsr(
        tx,
        'item_neighbours (item_id, rank, neighbour_id, similarity)',
        csr,
        chunkRows,
        (done) => progress(done, total + nextTotal),
      );
      if (next)
        await writeCsr(
          tx,
          'item_transitions (item_id, rank, next_id, probability)',
          next,
          chunkRows,
          (done) => progress(total + done, total + nextTotal),
        );
      return this.writeBuild(tx, {
        asOf: meta.asOf,
        jobId: meta.jobId,
        items: csr.itemIds.filter((_, i) => csr.offsets[i + 1] > csr.offsets[i]).length,
        neighbours: total,
      });
    });
  }

  private async writeBuild(
    tx: EntityManager,
    b: { asOf: Date; jobId: string | null; items: number; neighbours: number },
  ): Promise<CopurchaseBuild> {
    const rows: BuildRow[] = await tx.query(
      `INSERT INTO copurchase_build (id, generation, as_of, computed_at, items, neighbours, job_id)
       VALUES (1, 1, $1, now(), $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET generation = copurchase_build.generation + 1, as_of = EXCLUDED.as_of,
         computed_at = EXCLUDED.computed_at, items = EXCLUDED.items, neighbours = EXCLUDED.neighbours,
         job_id = EXCLUDED.job_id
       RETURNING *`,
      [b.asOf.toISOString(), b.items, b.neighbours, b.jobId],
    );
    return toBuild(rows[0]);
  }

  /** The build row and its neighbours from one snapshot (a replacement committing meanwhile is not mixed in). */
  async load(): Promise<{
    build: CopurchaseBuild;
    lists: NeighbourLists;
    transitions: NeighbourLists;
  } | null> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      const builds = (await runner.query(`SELECT * FROM copurchase_build WHERE id = 1`)) as BuildRow[];
      if (!builds[0]) {
        await runner.commitTransaction();
        return null;
      }
      const lists = await loadLists(runner, 'item_neighbours', 'neighbour_id', 'similarity');
      const transitions = await loadLists(runner, 'item_transitions', 'next_id', 'probability');
      await runner.commitTransaction();
      return { build: toBuild(builds[0]), lists, transitions };
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }
}

/** Neighbours numbered between two turns of the event loop while a load numbers them (~20 ms of work). */
const NUMBERED_PER_TURN = 100_000;

/**
 * Items' lists read per round trip while a load reads a table: ~100k neighbours, whose rows the driver parses
 * as they arrive (~10–20 ms). The whole table in one answer was parsed in bursts of ~100 ms on a large shop,
 * as fast as the socket delivered it, with requests waiting behind.
 */
const ITEMS_PER_FETCH = 1000;

/**
 * One table's lists: one row per item with its list in rank order (a few thousand rows instead of hundreds of
 * thousands), read through a cursor ITEMS_PER_FETCH items at a time, each neighbour numbered here as the lists
 * hold them. On a large shop that is millions of string lookups, so they are done a slice at a time with
 * requests served in between: done in one go, they held the event loop for seconds at every load. JSON rather
 * than arrays: the driver hands json to the native JSON.parse, but parses array text in JS. `runner` is in a
 * transaction (a cursor lives in one).
 */
async function loadLists(
  runner: QueryRunner,
  table: string,
  other: string,
  value: string,
): Promise<NeighbourLists> {
  const cursor = `load_${table}`;
  await runner.query(
    `DECLARE ${cursor} NO SCROLL CURSOR FOR
     SELECT item_id, json_agg(${other} ORDER BY rank) AS ids, json_agg(${value} ORDER BY rank) AS sims
       FROM ${table} GROUP BY item_id ORDER BY item_id`,
  );
  const rows: Array<{ item_id: string; ids: string[]; sims: number[] }> = [];
  for (;;) {
    const batch = (await runner.query(`FETCH ${ITEMS_PER_FETCH} FROM ${cursor}`)) as typeof rows;
    for (const r of batch) rows.push(r);
    await nextTurn();
    if (batch.length < ITEMS_PER_FETCH) break;
  }
  await runner.query(`CLOSE ${cursor}`);
  await nextTurn();
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, k) => (offsets[k + 1] = offsets[k] + r.ids.length));
  const numbering = new DenseIds();
  const numbered = shared.int32(offsets[rows.length]);
  const sims = shared.float32(offsets[rows.length]);
  let sinceTurn = 0;
  for (let k = 0; k < rows.length; k++) {
    const { ids } = rows[k];
    const at = offsets[k];
    for (let j = 0; j < ids.length; j++) numbered[at + j] = numbering.intern(ids[j]);
    sims.set(rows[k].sims, at);
    sinceTurn += ids.length;
    if (sinceTurn >= NUMBERED_PER_TURN) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  const items = rows.map((r) => r.item_id);
  rows.length = 0;
  await nextTurn();
  return NeighbourLists.fromRowsPaced(items, offsets, numbering, numbered, sims, nextTurn);
}

/** Writes a CSR computation into `table (item, rank, other, value)` in chunks of `chunkRows`. */
async function writeCsr(
  tx: EntityManager,
  table: string,
  csr: NeighbourCsr,
  chunkRows: number,
  progress: (done: number) => void,
): Promise<void> {
  const total = csr.offsets[csr.itemIds.length] ?? 0;
  let k = 0;
  for (let from = 0; from < total; from += chunkRows) {
    const to = Math.min(total, from + chunkRows);
    const items: string[] = [];
    const ranks: number[] = [];
    const others: string[] = [];
    const values: number[] = [];
    for (let p = from; p < to; p++) {
      while (csr.offsets[k + 1] <= p) k++;
      items.push(csr.itemIds[k]);
      ranks.push(p - csr.offsets[k] + 1);
      others.push(csr.itemIds[csr.neighbors[p]]);
      values.push(csr.similarities[p]);
    }
    await tx.query(
      `INSERT INTO ${table} SELECT * FROM unnest($1::varchar[], $2::smallint[], $3::varchar[], $4::real[])`,
      [items, ranks, others, values],
    );
    progress(to);
  }
}
