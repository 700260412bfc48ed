import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/**
 * What a server does with its vector index over a day: adopt a freshly read index, grow it as items arrive,
 * serve from it, and release the one it replaced. Runs in its own Node process (the allocator setting is
 * process-wide) and prints, per cycle, the memory outside the V8 heap (RSS − heap − external) in MB.
 */
const CYCLE_SCRIPT = `
const { HierarchicalNSW } = require('hnswlib-node');
const fs = require('node:fs'); const os = require('node:os'); const path = require('node:path');
const { fixMallocMmapThreshold } = require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'common', 'native-allocator.js'))});
const tuning = process.env.TUNE === '1' ? fixMallocMmapThreshold() : { applied: false, reason: 'not asked' };
const N = 4000, D = 512;
let seed = 7; const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
const vec = () => Array.from({ length: D }, rnd);
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-alloc-')), 'index.bin');
const first = new HierarchicalNSW('l2', D); first.initIndex(N, 8, 16, 100, false);
for (let i = 0; i < N; i++) first.addPoint(vec(), i);
first.writeIndexSync(file); first.initIndex(1, 8, 16, 100, false);
const outside = () => { global.gc(); const m = process.memoryUsage(); return (m.rss - m.heapTotal - m.external) / 1e6; };
(async () => {
  let serving = null; const mb = [];
  for (let c = 0; c < 12; c++) {
    const next = new HierarchicalNSW('l2', D); await next.readIndex(file, false);
    for (let i = 0; i < 50; i++) {
      if (next.getCurrentCount() >= next.getMaxElements()) next.resizeIndex(Math.ceil(next.getMaxElements() * 1.25));
      next.addPoint(vec(), next.getCurrentCount());
    }
    for (let q = 0; q < 200; q++) next.searchKnn(vec(), 50);
    if (serving) serving.initIndex(1, 8, 16, 100, false);
    serving = next; mb.push(outside());
  }
  fs.rmSync(path.dirname(file), { recursive: true });
  process.stdout.write(JSON.stringify({ tuning, mb }));
})();
`;

function cycle(tune: boolean): { tuning: { applied: boolean }; mb: number[] } {
  const env: NodeJS.ProcessEnv = { ...process.env, TUNE: tune ? '1' : '0' };
  delete env.MALLOC_MMAP_THRESHOLD_;
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', CYCLE_SCRIPT], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`cycle script failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { tuning: { applied: boolean }; mb: number[] };
}

describe('native allocator (glibc)', () => {
  it('keeps the memory of replaced vector indexes from piling up outside the V8 heap', () => {
    const { tuning, mb } = cycle(true);
    expect(tuning.applied).toBe(true);
    // One index of 4,000 × 512-d is ~9 MB; without the fix the third-to-last cycles hold 50–80 MB more.
    const growth = Math.max(...mb.slice(2)) - mb[2];
    expect(growth).toBeLessThan(12);
  }, 120_000);
});
