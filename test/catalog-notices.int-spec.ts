import { Client } from 'pg';
import { parseCatalogNotice, type CatalogNotice } from '../src/sync/change-channels';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * The catalog channel's payloads as the migrated triggers send them: a server drops an item at once only when a
 * notice says it was deleted, so deletes (soft or hard) must say so and every other write must not.
 */
describe('catalog change notices (real PostgreSQL, the real triggers)', () => {
  let db: TestDatabase;
  let writer: Client;
  let listener: Client;
  const heard: CatalogNotice[] = [];

  /** The notices of one statement (delivered at its commit) once `count` have arrived. */
  const notices = async (count: number): Promise<CatalogNotice[]> => {
    const deadline = Date.now() + 5000;
    while (heard.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return heard.splice(0).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    writer = new Client({ connectionString: db.url });
    listener = new Client({ connectionString: db.url });
    await writer.connect();
    await listener.connect();
    listener.on('notification', (m) => heard.push(parseCatalogNotice(JSON.parse(m.payload ?? 'null'))));
    await listener.query('LISTEN aisle_catalog');
    await writer.query(
      `INSERT INTO items (id, title, content_hash)
       SELECT 'n-' || i, 'Item ' || i, repeat('0', 64) FROM generate_series(1, 6) i`,
    );
    expect(await notices(1)).toEqual([{ ids: ['n-1', 'n-2', 'n-3', 'n-4', 'n-5', 'n-6'] }]);
  });
  afterAll(async () => {
    await listener?.end();
    await writer?.end();
    await db?.drop();
  });

  it('a soft delete names its ids as deleted; an update in the same statement that keeps items live does not', async () => {
    await writer.query(
      `UPDATE items SET price = 2, updated_at = now(),
         deleted_at = CASE WHEN id IN ('n-2', 'n-3') THEN now() ELSE NULL END
       WHERE id IN ('n-1', 'n-2', 'n-3')`,
    );
    expect(await notices(2)).toEqual([{ ids: ['n-1'] }, { ids: ['n-2', 'n-3'], deleted: true }]);
  });

  it('a re-created item (deleted_at cleared) is not named as deleted', async () => {
    await writer.query(`UPDATE items SET deleted_at = NULL, updated_at = now() WHERE id = 'n-2'`);
    expect(await notices(1)).toEqual([{ ids: ['n-2'] }]);
  });

  it('a hard DELETE names its ids as deleted', async () => {
    await writer.query(`DELETE FROM items WHERE id IN ('n-4', 'n-5')`);
    expect(await notices(1)).toEqual([{ ids: ['n-4', 'n-5'], deleted: true }]);
  });

  it('a rolled-back delete sends nothing', async () => {
    await writer.query('BEGIN');
    await writer.query(`UPDATE items SET deleted_at = now() WHERE id = 'n-6'`);
    await writer.query('ROLLBACK');
    await writer.query(`UPDATE items SET title = 'Renamed' WHERE id = 'n-6'`);
    expect(await notices(1)).toEqual([{ ids: ['n-6'] }]);
  });
});
