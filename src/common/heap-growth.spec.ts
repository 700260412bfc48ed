import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { limitHeapGrowth } from './heap-growth';

/**
 * Runs in a child process (the flag is process-wide and the measurement needs a heap of its own): holds a
 * live set, then churns objects that survive young collections and die in the old generation — what a
 * loaded server does with request objects — and reports the live heap and the peak heap used.
 */
function churn(percent: number | undefined): { liveMb: number; peakMb: number } {
  const script = `
    const v8 = require('node:v8');
    const { limitHeapGrowth } = require(${JSON.stringify(path.join(__dirname, 'heap-growth.ts'))});
    const percent = ${percent === undefined ? 'undefined' : percent};
    if (percent !== undefined) limitHeapGrowth(percent);
    const live = [];
    for (let i = 0; i < 400000; i++) live.push({ a: i, b: 'x' + i, c: [i, i] });
    gc();
    const liveMb = process.memoryUsage().heapUsed / 2 ** 20;
    const ring = new Array(100000).fill(null);
    let k = 0;
    let peakMb = 0;
    for (let n = 0; n < 1500; n++) {
      for (let i = 0; i < 2000; i++) ring[k++ % ring.length] = { id: 'item' + k, a: new Array(20).fill(k) };
      if (n % 10 === 0) peakMb = Math.max(peakMb, v8.getHeapStatistics().used_heap_size / 2 ** 20);
    }
    process.stdout.write(JSON.stringify({ liveMb, peakMb, held: live.length }));
  `;
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '-r', 'ts-node/register/transpile-only', '-e', script],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return JSON.parse(out) as { liveMb: number; peakMb: number };
}

describe('limitHeapGrowth', () => {
  it('keeps the heap used near the live heap while promoted garbage churns', () => {
    const { liveMb, peakMb } = churn(50);
    // The live heap and the ring of recent objects (≤ 40 MB) × 1.5 for the old generation, plus the young
    // generation (≤ 32 MB) and a margin. V8's own heuristics peak near 500 MB here on a machine with memory to
    // spare (live heap 78 MB); with the limit, near 220 MB.
    expect(peakMb).toBeLessThan((liveMb + 40) * 1.5 + 80);
  }, 130_000);

  it('0 leaves V8 its own heuristics, and other values are refused', () => {
    expect(() => limitHeapGrowth(0)).not.toThrow();
    expect(() => limitHeapGrowth(-1)).toThrow(RangeError);
    expect(() => limitHeapGrowth(1.5)).toThrow(RangeError);
  });
});
