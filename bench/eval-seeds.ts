/**
 * How much of an `aisle eval` difference is the training seed's: runs the full evaluation (fine-tune included)
 * once per FINETUNE_SEED and prints each row's NDCG@10 per seed with its mean and spread (max − min). A change to
 * the engine is worth its name when it moves a row's mean by more than that spread; one run at one seed is not.
 * Each run takes the eval's own time (5–9 min on two cores); runs go one after another on the database of
 * DATABASE_URL (default the local postgres database), as `aisle eval` does.
 * Usage: npm run build && node dist/bench/eval-seeds.js [--seeds 42,43] [-- <aisle eval flags>]
 *        e.g. `-- --item-sequences --visits-as-users`; environment settings (FINETUNE_EPOCHS=4, …) pass through.
 */
import { ONLINE_RETAIL, adminUrl, runCli } from './lib/server';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** `aisle eval --json` prints its table, then one JSON document: protocols.{protocol}.{method}.ndcg. */
function ndcgRows(stdout: string): Map<string, number> {
  const start = stdout.indexOf('{"ok"');
  if (start < 0) throw new Error('aisle eval printed no JSON result');
  const doc = JSON.parse(stdout.slice(start)) as {
    protocols: Record<string, Record<string, { ndcg?: number } | number>>;
  };
  const rows = new Map<string, number>();
  for (const [protocol, methods] of Object.entries(doc.protocols))
    for (const [method, r] of Object.entries(methods))
      if (typeof r === 'object' && typeof r.ndcg === 'number') rows.set(`${protocol} ${method}`, r.ndcg);
  return rows;
}

async function main(): Promise<void> {
  const seeds = arg('--seeds', '42,43')
    .split(',')
    .map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new Error('--seeds: comma-separated integers ≥ 0');
  const dash = process.argv.indexOf('--');
  const evalFlags = dash >= 0 ? process.argv.slice(dash + 1) : [];
  const perSeed: Array<Map<string, number>> = [];
  for (const seed of seeds) {
    process.stderr.write(`aisle eval with FINETUNE_SEED=${seed}…\n`);
    const { stdout, seconds } = await runCli(
      ['eval', '--online-retail', ONLINE_RETAIL, '--json', ...evalFlags],
      { FINETUNE_SEED: String(seed), DATABASE_URL: process.env.DATABASE_URL ?? adminUrl() },
    );
    process.stderr.write(`  done in ${seconds.toFixed(0)} s\n`);
    perSeed.push(ndcgRows(stdout));
  }
  const names = [...perSeed[0].keys()];
  const width = Math.max(...names.map((n) => n.length));
  const header = [
    'row'.padEnd(width),
    ...seeds.map((s) => `seed ${s}`.padStart(9)),
    'mean'.padStart(8),
    'spread'.padStart(8),
  ];
  process.stdout.write(`${header.join('  ')}\n`);
  const summary: Record<string, { perSeed: number[]; mean: number; spread: number }> = {};
  for (const name of names) {
    const values = perSeed.map((rows) => rows.get(name) ?? NaN);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const spread = Math.max(...values) - Math.min(...values);
    summary[name] = {
      perSeed: values.map((v) => +v.toFixed(4)),
      mean: +mean.toFixed(4),
      spread: +spread.toFixed(4),
    };
    process.stdout.write(
      `${[
        name.padEnd(width),
        ...values.map((v) => v.toFixed(4).padStart(9)),
        mean.toFixed(4).padStart(8),
        spread.toFixed(4).padStart(8),
      ].join('  ')}\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ bench: 'eval-seeds', seeds, evalFlags, rows: summary })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
