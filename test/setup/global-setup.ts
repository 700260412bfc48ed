import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres';

const LOCAL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Picks the PostgreSQL server the integration tests use: DATABASE_URL, else a local server on 5432, else an
 * embedded one started for this run. Each test file then creates its own database on it (test/support).
 */
export default async function globalSetup(): Promise<void> {
  // AISLE_TEST_EMBEDDED=1 forces the embedded server, to test the no-server path on a machine that has one.
  const forceEmbedded = process.env.AISLE_TEST_EMBEDDED === '1';
  let admin = forceEmbedded ? undefined : process.env.DATABASE_URL;
  if (!admin && !forceEmbedded && (await reachable(LOCAL))) admin = LOCAL;
  if (!admin) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-test-pg-'));
    const port = 55000 + Math.floor(Math.random() * 5000);
    const db: EmbeddedDatabase = await startEmbeddedPostgres(dir, port);
    (globalThis as { __aisleTestDb?: { db: EmbeddedDatabase; dir: string } }).__aisleTestDb = { db, dir };
    admin = db.url;
    process.stderr.write(`\n[tests] no PostgreSQL server found: using an embedded one on port ${port}\n`);
  } else {
    process.stderr.write(`\n[tests] using PostgreSQL at ${admin.replace(/:[^:@/]*@/, ':***@')}\n`);
  }
  process.env.AISLE_TEST_ADMIN_URL = admin;
}
