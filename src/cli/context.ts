import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module';
import { loadConfig, type AppConfig } from '../config/config.schema';
import { resolveDatabase, runMigrations, type ResolvedDatabase } from '../database/database.bootstrap';

export interface Runtime {
  config: AppConfig;
  db: ResolvedDatabase;
  log: (msg: string) => void;
}

export const stderrLog = (msg: string) => process.stderr.write(`${msg}\n`);

/** Config + database (embedded when needed) + migrations: what every command needs first. */
export async function openRuntime(opts: { migrate?: boolean } = {}): Promise<Runtime> {
  const config = loadConfig();
  const db = await resolveDatabase(config, stderrLog);
  try {
    if (opts.migrate ?? config.migrationsRun) {
      const applied = await runMigrations(db.url);
      if (applied.length > 0) stderrLog(`applied migrations: ${applied.join(', ')}`);
    }
  } catch (e) {
    await db.stop();
    throw e;
  }
  return { config, db, log: stderrLog };
}

/** A Nest application context without HTTP, for commands that use the services. */
export async function withContext<T>(
  rt: Runtime,
  fn: (ctx: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const ctx = await NestFactory.createApplicationContext(
    AppModule.forRoot({
      config: { ...rt.config, logLevel: rt.config.logLevel === 'info' ? 'warn' : rt.config.logLevel },
      databaseUrl: rt.db.url,
      logToStderr: true,
      longRunningServer: false,
    }),
    { bufferLogs: true },
  );
  // Nest's own messages go through pino, which writes to stderr here: stdout carries only the command's output.
  ctx.useLogger(ctx.get(Logger));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
