import * as path from 'node:path';
import type { AppConfig } from '../config/app-config';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';
import { withLock } from './advisory-lock';
import { AdvisoryLock } from './locks';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise an embedded PostgreSQL under DATA_DIR/postgres (architecture.md). */
export async function resolveDatabase(
  config: AppConfig,
  log: (m: string) => void,
): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: () => Promise.resolve() };
  const dir = path.join(config.dataDir, 'postgres');
  log(`DATABASE_URL is not set: starting embedded PostgreSQL in ${dir} on port ${config.embeddedPgPort}`);
  const db = await startEmbeddedPostgres(
    dir,
    config.embeddedPgPort,
    (m) => {
      if (/error|fatal/i.test(m)) log(m);
    },
    log,
  );
  return { url: db.url, embedded: true, stop: () => db.stop() };
}

/** Applies pending migrations under an advisory lock; returns the names applied. */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = createDataSource(url);
  await ds.initialize();
  try {
    const applied = await withLock(ds, AdvisoryLock.Migrations, () =>
      ds.runMigrations({ transaction: 'each' }),
    );
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
