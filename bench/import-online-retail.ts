/**
 * Times `aisle import --online-retail` of the full file into a fresh database, then a second (idempotent) run.
 * Usage: npm run build && node dist/bench/import-online-retail.js   (BENCH_PG_URL to use another server)
 */
import { ONLINE_RETAIL, recreateDatabase, runCli } from './lib/server';

async function main(): Promise<void> {
  const url = await recreateDatabase('aisle_bench_import');
  const first = await runCli(['import', '--online-retail', ONLINE_RETAIL, '--json'], { DATABASE_URL: url });
  const second = await runCli(['import', '--online-retail', ONLINE_RETAIL, '--json'], { DATABASE_URL: url });
  const last = (s: string) => JSON.parse(s.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  const out = {
    first: { seconds: first.seconds, ...last(first.stdout) },
    second: { seconds: second.seconds, ...last(second.stdout) },
  };
  process.stdout.write(
    `import (fresh):  ${first.seconds.toFixed(1)} s wall\nimport (re-run): ${second.seconds.toFixed(1)} s wall\n`,
  );
  process.stdout.write(`${JSON.stringify({ bench: 'import-online-retail', ...out })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
