import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { ROOT, spawnCli } from './support/cli';

/**
 * `aisle serve` with no DATABASE_URL runs on its own embedded PostgreSQL (the README's first command). Stopped
 * by SIGTERM it must drain before it stops that database: a list served just before the signal is queued for
 * writing, and the queue is written while the server shuts down.
 */
/** `n` distinct ports free now: all held open at once, so the system cannot hand one out twice. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.on('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the cluster in argv[1] on port argv[2] and prints the served lists with recommId argv[3]. */
const READ_SERVED = `
const { startEmbeddedPostgres } = require('./dist/src/database/embedded-postgres');
const { Client } = require('pg');
(async () => {
  const [dir, port, recommId] = process.argv.slice(1);
  const db = await startEmbeddedPostgres(dir, Number(port));
  const c = new Client({ connectionString: db.url });
  try {
    await c.connect();
    const r = await c.query('SELECT source FROM served_lists WHERE recomm_id = $1', [recommId]);
    process.stdout.write(JSON.stringify(r.rows));
  } finally {
    await c.end();
    await db.stop();
  }
})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
`;

/** `aisle serve` on the embedded cluster under `dataDir`, answering on /health/live. */
async function startServer(
  dataDir: string,
  ownGroup: boolean,
): Promise<{ run: ReturnType<typeof spawnCli>; url: string; pgPort: number }> {
  // Other test files run beside this one and bind ports too: a port taken between choosing it and binding it
  // is chosen again (the server refuses to start, naming it), up to three times.
  for (let attempt = 1; ; attempt++) {
    const [port, pgPort] = await freePorts(2);
    const run = spawnCli(
      ['serve'],
      {
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(pgPort),
        PORT: String(port),
        HOST: '127.0.0.1',
        SYNC_INTERVAL_MS: '3600000',
      },
      ownGroup,
    );
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 1200 && run.child.exitCode === null; i++) {
      const live = await fetch(`${url}/health/live`)
        .then((r) => r.ok)
        .catch(() => false);
      if (live) return { run, url, pgPort };
      await sleep(100);
    }
    const { stderr } = await run.done;
    if (attempt >= 3 || !/in use/.test(stderr)) throw new Error(`server did not start:\n${stderr}`);
  }
}

/**
 * The served lists stored with `recommId`, read by a process of its own: Jest's module sandbox cannot load
 * embedded-postgres (ESM).
 */
function readServed(dataDir: string, pgPort: number, recommId: string): Promise<unknown> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', READ_SERVED, path.join(dataDir, 'postgres'), String(pgPort), recommId],
      { cwd: ROOT },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

describe('aisle serve on embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-embedded-serve-'));
    // As root, PostgreSQL runs as the `postgres` user, which must reach DATA_DIR/postgres.
    fs.chmodSync(dataDir, 0o755);
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('writes a list served just before SIGTERM, then stops its database and exits 0', async () => {
    const { run, url, pgPort } = await startServer(dataDir, false);
    const served = await fetch(`${url}/v1/popular`);
    expect(served.status).toBe(200);
    const { recommId } = (await served.json()) as { recommId: string };
    // Sooner than the recorder's periodic write (250 ms): only the shutdown's drain can store this list.
    run.child.kill('SIGTERM');
    const out = await run.done;
    expect(out.code).toBe(0);
    // Nothing connected to the database once it had begun to stop, and no connection was cut off.
    expect(out.stderr + out.stdout).not.toMatch(/database system is shutting down/);
    expect(out.stderr + out.stdout).not.toMatch(/terminating connection due to administrator command/);
    expect(await readServed(dataDir, pgPort, recommId)).toEqual([{ source: 'popular' }]);
  }, 240_000);

  it('drains before its database stops when Ctrl-C signals the whole process group', async () => {
    // The second start finds the cluster the first one made.
    const { run, url, pgPort } = await startServer(dataDir, true);
    const served = await fetch(`${url}/v1/popular`);
    expect(served.status).toBe(200);
    const { recommId } = (await served.json()) as { recommId: string };
    const pid = run.child.pid!;
    // What a terminal's Ctrl-C does: SIGINT to every process of the foreground group, PostgreSQL's too if it is
    // one of them.
    process.kill(-pid, 'SIGINT');
    const out = await run.done;
    expect(out.code).toBe(0);
    const said = out.stderr + out.stdout;
    expect(said).not.toMatch(/terminating connection due to administrator command/);
    expect(said).not.toMatch(/connection lost/);
    // Its database stopped before it exited (PostgreSQL removes its lock file as it stops).
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'cluster', 'postmaster.pid'))).toBe(false);
    expect(await readServed(dataDir, pgPort, recommId)).toEqual([{ source: 'popular' }]);
  }, 240_000);
  /** `aisle import --items` of a record with a numeric id: fails after opening the database, nothing written. */
  function failingImport(pgPort: number): ReturnType<typeof spawnCli> {
    const bad = path.join(dataDir, 'bad-items.ndjson');
    fs.writeFileSync(bad, '{"id": 5}\n');
    return spawnCli(['import', '--items', bad], {
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
    });
  }

  it('lets another command use the cluster a running server started, and leaves it running', async () => {
    const { run, url, pgPort } = await startServer(dataDir, false);
    const migrate = await spawnCli(['db:migrate'], {
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
    }).done;
    expect(migrate.code).toBe(0);
    expect(migrate.stderr).toContain(`already runs for process ${run.child.pid}: using it`);
    // A failure is reported to cron as one, also on the embedded database.
    const failed = await failingImport(pgPort).done;
    expect(failed.stderr).toMatch(/invalid record/);
    expect(failed.code).toBe(1);
    expect((await fetch(`${url}/v1/popular`)).status).toBe(200);
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(0);
  }, 240_000);

  it('stops a cluster its killed server left running, then runs its own and stops it', async () => {
    const { run, pgPort } = await startServer(dataDir, false);
    const pid = run.child.pid!;
    run.child.kill('SIGKILL');
    await run.done;
    const lock = path.join(dataDir, 'postgres', 'cluster', 'postmaster.pid');
    expect(fs.existsSync(lock)).toBe(true);
    const failed = await failingImport(pgPort).done;
    expect(failed.stderr).toContain(`was left running by process ${pid}, which is gone: stopping it`);
    expect(failed.stderr).toMatch(/invalid record/);
    expect(failed.code).toBe(1);
    expect(fs.existsSync(lock)).toBe(false);
  }, 240_000);
});
