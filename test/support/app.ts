import type { NestExpressApplication } from '@nestjs/platform-express';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, type AppConfig } from '../../src/config/config.schema';
import { createHttpApp } from '../../src/http-app';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestApp {
  app: NestExpressApplication;
  server: ReturnType<NestExpressApplication['getHttpServer']>;
  db: TestDatabase;
  config: AppConfig;
  close(): Promise<void>;
}

/** The real HTTP application on a fresh, migrated database. `env` overrides configuration variables. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-test-data-'));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    LOG_FORMAT: 'json',
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    ...env,
  });
  const app = await createHttpApp(config, db.url);
  await app.init();
  return {
    app,
    server: app.getHttpServer(),
    db,
    config,
    close: async () => {
      await app.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunningApp {
  app: NestExpressApplication;
  url: string;
}

/** The real HTTP app listening on a free port, on an existing database and data directory (kept across restarts). */
export async function listenApp(
  databaseUrl: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    LOG_FORMAT: 'json',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    ...env,
  });
  const app = await createHttpApp(config, databaseUrl);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}
