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

describe('aisle serve on embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-embedded-serve-'));
    // As root, PostgreSQL runs as the `postgres` user, which must reach DATA_DIR/postgres.
    fs.chmodSync(dataDir, 0o755);
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('writes a list served just before SIGTERM, then stops its database and exits 0', async () => {
    // Other test files run beside this one and bind ports too: a port taken between choosing it and binding it
    // is chosen again (the server refuses to start, naming it), up to three times.
    let started: { run: ReturnType<typeof spawnCli>; url: string; pgPort: number } | undefined;
    for (let attempt = 1; !started; attempt++) {
      const [port, pgPort] = await freePorts(2);
      const run = spawnCli(['serve'], {
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(pgPort),
        PORT: String(port),
        HOST: '127.0.0.1',
        SYNC_INTERVAL_MS: '3600000',
      });
      const url = `http://127.0.0.1:${port}`;
      let live = false;
      for (let i = 0; i < 1200 && !live && run.child.exitCode === null; i++) {
        live = await fetch(`${url}/health/live`)
          .then((r) => r.ok)
          .catch(() => false);
        if (!live) await sleep(100);
      }
      if (live) started = { run, url, pgPort };
      else {
        const { stderr } = await run.done;
        if (attempt >= 3 || !/in use/.test(stderr)) throw new Error(`server did not start:\n${stderr}`);
      }
    }
    const { run, url, pgPort } = started;

    const served = await fetch(`${url}/v1/popular`);
    expect(served.status).toBe(200);
    const { recommId } = (await served.json()) as { recommId: string };
    // Sooner than the recorder's periodic write (250 ms): only the shutdown's drain can store this list.
    run.child.kill('SIGTERM');
    const out = await run.done;
    expect(out.code).toBe(0);
    // Nothing connected to the database once it had begun to stop.
    expect(out.stderr + out.stdout).not.toMatch(/database system is shutting down/);

    // The cluster is read by a process of its own: Jest's module sandbox cannot load embedded-postgres (ESM).
    const read = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['-e', READ_SERVED, path.join(dataDir, 'postgres'), String(pgPort), recommId],
        { cwd: ROOT },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(JSON.parse(read)).toEqual([{ source: 'popular' }]);
  }, 240_000);
});
