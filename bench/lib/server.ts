import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { createScratchDatabase } from '../../src/database/scratch-database';

/** The repository root, whether this runs from bench/ (ts-node) or dist/bench/ (compiled). */
function findRoot(dir: string): string {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
  }
  throw new Error('package.json not found above the bench folder');
}
export const ROOT = findRoot(__dirname);
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
export const ONLINE_RETAIL = path.join(ROOT, 'data', 'online-retail', 'online_retail.csv.gz');

/** Admin URL of the server benches create their databases on (BENCH_PG_URL, default the local server). */
export const adminUrl = () => process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function dbUrl(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

export async function recreateDatabase(name: string): Promise<string> {
  return (await createScratchDatabase(adminUrl(), { name })).url;
}

export async function databaseExists(name: string): Promise<boolean> {
  const c = new Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return r.rowCount === 1;
  } finally {
    await c.end();
  }
}

/** Runs the compiled CLI (`onStart` sees its process); resolves with stdout, rejects on a non-zero exit. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  onStart?: (child: ChildProcess) => void,
): Promise<{ stdout: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onStart?.(child);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ stdout, seconds });
      else reject(new Error(`aisle ${args.join(' ')} exited with ${code}`));
    });
  });
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `aisle serve` on the given database (port: BENCH_PORT, default 3900) and waits until `waitFor` (default /health/ready) answers 200.
 * The server's log goes to the bench's stderr, or to `logFile` (appended) when given: then with its stdout,
 * where a server writes its structured log (errors included), so a bench that sees a 5xx can read why.
 */
export async function startServer(
  env: Record<string, string>,
  port = Number(process.env.BENCH_PORT ?? 3900),
  logFile?: string,
  waitFor = '/health/ready',
): Promise<RunningServer> {
  // Another server already on the port would answer the readiness check and be measured in this one's place.
  const taken = await fetch(`http://127.0.0.1:${port}/health/live`).then(
    () => true,
    () => false,
  );
  if (taken) throw new Error(`port ${port} is in use: stop that server or set BENCH_PORT`);
  const log = logFile ? fs.openSync(logFile, 'a') : 'inherit';
  // BENCH_NODE_ARGS: flags for the server's node (e.g. `--cpu-prof --cpu-prof-dir=prof`; NODE_OPTIONS refuses those).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', typeof log === 'number' ? log : 'ignore', log],
  });
  if (typeof log === 'number') fs.closeSync(log); // the child holds its own descriptor
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}${waitFor}`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('server did not become ready in 300 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    child,
    // A server that does not finish its shutdown within 60 s (a job that ignores it) is killed.
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export function peakRssMb(pid: number): number | undefined {
  try {
    // VmHWM: the process's peak resident set size.
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time the process has used so far (user + system, all threads), in ms, from /proc; undefined where there
 * is no /proc. Clock ticks are 10 ms on Linux: over a 10 s load that is well under 1 %.
 */
export function processCpuMs(pid: number): number | undefined {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * The whole machine's busy CPU time in ms (Linux /proc/stat: every core's time outside idle and I/O wait), or
 * undefined elsewhere: with the server's, the load generator's and PostgreSQL's, what a request costs the machine.
 */
export function machineBusyCpuMs(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
    const busy = t.slice(0, 8).reduce((a, b) => a + b, 0) - t[3] - t[4];
    return busy * 10;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) in a /proc stat file, in ms; undefined when it cannot be read (not Linux, gone). */
function statCpuMs(file: string): number | undefined {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    // The command name may hold spaces; the fields after it are space-separated (utime, stime: 14th, 15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of each thread of a process in ms, by thread id (Linux); empty where /proc has no task list. Node
 * names every thread "node", so callers tell the main thread by its id (the process id) and the others apart
 * by how busy they were.
 */
export function threadCpuMs(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const ms = statCpuMs(`/proc/${pid}/task/${tid}/stat`);
    if (ms !== undefined) out.set(Number(tid), ms);
  }
  return out;
}
