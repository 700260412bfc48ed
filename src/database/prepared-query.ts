import type { DataSource } from 'typeorm';

/** The part of pg's Pool a prepared read uses (TypeORM's PostgresDriver keeps one as `master`). */
interface ArrayRowPool {
  query(config: {
    name: string;
    text: string;
    values: unknown[];
    rowMode: 'array';
  }): Promise<{ rows: unknown[][] }>;
}

/**
 * Runs a hot read as a named prepared statement on the DataSource's own pg pool, rows as arrays of column
 * values in select order. Meant for a statement run on nearly every request (a shopper's profile): each pooled
 * connection parses and plans it once instead of every time, and neither TypeORM's query runner nor a row
 * object per row is paid for — together about half the client CPU of such a read. The pool's limits
 * (statement and connect timeouts) apply as to every query; errors are the driver's own, which
 * `isDatabaseUnavailable` reads as it reads TypeORM's wrapped ones. `name` must be unique per statement text.
 */
export async function preparedRows(
  db: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<unknown[][]> {
  const pool = (db.driver as unknown as { master?: ArrayRowPool }).master;
  if (pool) return (await pool.query({ name, text, values, rowMode: 'array' })).rows;
  // A driver without a pg pool (none in use today): the same rows through TypeORM.
  const rows: Array<Record<string, unknown>> = await db.query(text, values);
  return rows.map((r) => Object.values(r));
}
