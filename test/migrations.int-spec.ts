import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/database/data-source';
import { MIGRATIONS } from '../migrations';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * The migrations are the only way the schema changes (house-style 7): they must apply on an empty database,
 * undo cleanly, re-apply, and describe exactly what the entities declare.
 */
describe('migrations (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  const tables = async (): Promise<string[]> => {
    const rows: Array<{ table_name: string }> = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    return rows.map((r) => r.table_name).sort();
  };
  const entityTables = () => [...new Set(ds.entityMetadatas.map((m) => m.tableName))].sort();
  const executed = async (): Promise<string[]> => {
    const rows: Array<{ name: string }> = await ds.query(`SELECT name FROM migrations ORDER BY id`);
    return rows.map((r) => r.name);
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    ds = createDataSource(db.url);
    await ds.initialize();
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('starts from an empty database', async () => {
    expect(await tables()).toEqual([]);
  });

  it('applies every migration, in order, creating every entity table', async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual(
      MIGRATIONS.map((m) => new m() as { name?: string }).map((m) => m.name),
    );
    expect(applied.length).toBe(MIGRATIONS.length);
    expect(await tables()).toEqual([...entityTables(), 'migrations'].sort());
    expect(await ds.showMigrations()).toBe(false);
  });

  it('runs nothing the second time', async () => {
    expect(await ds.runMigrations({ transaction: 'each' })).toEqual([]);
  });

  it('matches the entities: no pending schema change (drift check)', async () => {
    const sql = await ds.driver.createSchemaBuilder().log();
    const missing = sql.upQueries.map((q) => q.query.trim());
    if (missing.length > 0) {
      throw new Error(
        `Entities and migrations disagree; a migration is missing these statements ` +
          `(generate one with \`npm run migration:generate -- migrations/<Name>\`):\n\n${missing.join(';\n')};`,
      );
    }
    expect(missing).toEqual([]);
  });

  it('undoes every migration, leaving no entity table', async () => {
    const count = (await executed()).length;
    expect(count).toBe(MIGRATIONS.length);
    for (let i = 0; i < count; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await executed()).toEqual([]);
    // Only TypeORM's own bookkeeping table may remain.
    expect(await tables()).toEqual(['migrations']);
    expect(await ds.showMigrations()).toBe(true);
  });

  it('applies them all again after a full undo, and the schema still matches the entities', async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.length).toBe(MIGRATIONS.length);
    expect(await tables()).toEqual([...entityTables(), 'migrations'].sort());
    const sql = await ds.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query.trim())).toEqual([]);
  });

  it('gives a working schema: rows round-trip through the migrated tables', async () => {
    await ds.query(`INSERT INTO items (id, title, content_hash) VALUES ('m-1', 'Lamp', repeat('0', 64))`);
    await ds.query(
      `INSERT INTO events (user_id, item_id, type, occurred_at) VALUES ('u', 'm-1', 'view', now())`,
    );
    const rows: Array<{ in_stock: boolean; attributes: unknown }> = await ds.query(
      `SELECT in_stock, attributes FROM items WHERE id = 'm-1'`,
    );
    expect(rows).toEqual([{ in_stock: true, attributes: {} }]);
    // The idempotency key is unique; NULL keys never collide.
    await ds.query(
      `INSERT INTO events (user_id, item_id, type, occurred_at) VALUES ('u', 'm-1', 'view', now())`,
    );
    await ds.query(
      `INSERT INTO events (event_id, user_id, item_id, type, occurred_at) VALUES ('k', 'u', 'm-1', 'view', now())`,
    );
    await expect(
      ds.query(
        `INSERT INTO events (event_id, user_id, item_id, type, occurred_at) VALUES ('k', 'u', 'm-1', 'view', now())`,
      ),
    ).rejects.toThrow(/duplicate key/);
  });

  it('the drift check is sensitive: a schema that differs from the entities yields the missing SQL', async () => {
    await ds.query(`DROP INDEX events_time_idx`);
    await ds.query(`ALTER TABLE items DROP COLUMN brand`);
    const sql = await ds.driver.createSchemaBuilder().log();
    const up = sql.upQueries.map((q) => q.query).join('\n');
    expect(up).toMatch(/CREATE INDEX "events_time_idx"/);
    expect(up).toMatch(/ALTER TABLE "items" ADD "brand"/);
  });
});
