import { runMigrations } from '../../src/database/database.bootstrap';
import { createScratchDatabase } from '../../src/database/scratch-database';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.AISLE_TEST_ADMIN_URL;
  if (!url)
    throw new Error(
      'AISLE_TEST_ADMIN_URL is unset: run the tests through jest (global setup picks a server)',
    );
  return url;
}

/** A fresh database per test file, on the run's server, so parallel test files never see each other's rows. */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const db = await createScratchDatabase(adminUrl(), { prefix: 'aisle_t' });
  if (opts.migrate ?? true) await runMigrations(db.url);
  return { url: db.url, drop: db.drop };
}
