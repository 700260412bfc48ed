/**
 * Instructions per session gathering, as the session thread gathers (bench/session-cpu --thread-state), counted
 * by valgrind's callgrind: a count no neighbour on a shared machine moves, where CPU time moves 10–30 % from run
 * to run. Two runs of session-cpu differ only in how many sessions they gather (`--short` and `--long`, each
 * after the same 200 warm-up lists); the difference of their totals over the difference of their sessions is
 * one gathering's instructions, start-up and warm-up cancelled out. The runs go side by side (the count does
 * not depend on what else runs) and take a few minutes: valgrind runs Node some 50× slower.
 * Usage: npm run build && node dist/bench/session-instructions.js [--finetuned] [--short 100] [--long 600]
 * (needs valgrind; the database aisle_bench_api, made by bench/api-load.ts).
 */
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Instructions callgrind counted over one run of session-cpu gathering `sessions` sessions. */
function count(sessions: number, finetuned: boolean): Promise<number> {
  const script = path.join(__dirname, 'session-cpu.js');
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, script];
  args.push('--thread-state', '--sessions', String(sessions), ...(finetuned ? ['--finetuned'] : []));
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /Collected : (\d+)/.exec(err);
      if (code === 0 && m) resolve(Number(m[1]));
      else reject(new Error(`session-cpu under callgrind failed (${code}):\n${err.slice(-2000)}`));
    });
  });
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0)
    throw new Error('valgrind is not installed (Debian: apt-get install -y valgrind)');
  const short = arg('--short', 100);
  const long = arg('--long', 600);
  if (!(long > short && short > 0)) throw new Error('--long must exceed --short, both positive');
  const finetuned = process.argv.includes('--finetuned');
  const [a, b] = await Promise.all([count(short, finetuned), count(long, finetuned)]);
  const out = {
    bench: 'session-instructions',
    vectors: finetuned ? 'finetuned' : 'raw',
    sessions: [short, long],
    instructions: [a, b],
    instructionsPerGathering: Math.round((b - a) / (long - short)),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
