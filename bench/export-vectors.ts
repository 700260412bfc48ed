/**
 * Writes the stored item vectors of a database as the vector file bench/hnsw-recall.ts reads (raw float32 LE +
 * `<file>.json` with { dimension, ids }), to measure recall on real catalog vectors.
 * Usage: DATABASE_URL=… npx ts-node --transpile-only bench/export-vectors.ts <out-file>
 */
import * as fs from 'node:fs';
import { Client } from 'pg';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out || !process.env.DATABASE_URL)
    throw new Error('usage: DATABASE_URL=… export-vectors.ts <out-file>');
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  const rows = (
    await c.query<{ item_id: string; vector: Buffer; dimension: number }>(
      `SELECT e.item_id, e.vector, e.dimension FROM item_embeddings e JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL ORDER BY e.item_id`,
    )
  ).rows;
  await c.end();
  const dimension = rows[0]?.dimension ?? 0;
  fs.writeFileSync(out, Buffer.concat(rows.map((r) => r.vector)));
  fs.writeFileSync(`${out}.json`, JSON.stringify({ dimension, ids: rows.map((r) => r.item_id) }));
  process.stdout.write(`${rows.length} vectors of dimension ${dimension} → ${out}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
