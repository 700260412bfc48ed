import { load } from 'koffi';

/**
 * Keeps the native memory of a long-running server from ratcheting up with every vector index it adopts.
 *
 * Why: glibc's malloc serves a block of 128 KiB or more with its own mmap, returned to the system on free,
 * but it raises that threshold to the size of each such block when it is freed (up to 32 MiB). A server frees
 * one index's multi-megabyte level-0 block whenever it retires an index (and on every resize), so from the
 * second index on those blocks come from the heap instead, where freed space stays in RSS unless it happens
 * to sit at the top. Measured with hnswlib-node, 4,000 × 512-d, one index adopted and the previous one
 * released per cycle: memory outside the V8 heap went 55 → 117–137 MB over 12 cycles with glibc's default,
 * and stayed at 56–62 MB with the threshold fixed at 128 KiB. Fixing it (mallopt also turns the adjustment
 * off) costs one mmap per large block, which is what the first index got anyway.
 *
 * Only glibc has this behaviour and this call; elsewhere (macOS, musl) nothing is done. An operator who sets
 * glibc's own `MALLOC_MMAP_THRESHOLD_` keeps that value: glibc applied it at start-up.
 */

/** glibc's `M_MMAP_THRESHOLD` parameter of mallopt(3). */
const M_MMAP_THRESHOLD = -3;
export const MMAP_THRESHOLD_BYTES = 128 * 1024;

export type NativeAllocatorTuning =
  { applied: true; mmapThresholdBytes: number } | { applied: false; reason: string };

/** The libc call, behind a port so the decision is testable without loading libc. */
export type Mallopt = (param: number, value: number) => number;

export interface AllocatorEnvironment {
  platform: NodeJS.Platform;
  /** glibc's version when the process runs on glibc (from Node's diagnostic report), else undefined. */
  glibcVersion: string | undefined;
  env: NodeJS.ProcessEnv;
}

export function currentAllocatorEnvironment(): AllocatorEnvironment {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return { platform: process.platform, glibcVersion: header?.glibcVersionRuntime, env: process.env };
}

/** Loads mallopt from the running glibc through koffi (a prebuilt FFI: nothing is compiled). */
export function glibcMallopt(): Mallopt {
  const fn = load('libc.so.6').func('int mallopt(int param, int value)');
  return (param, value) => fn(param, value) as number;
}

export function fixMallocMmapThreshold(
  environment: AllocatorEnvironment = currentAllocatorEnvironment(),
  mallopt: () => Mallopt = glibcMallopt,
): NativeAllocatorTuning {
  if (environment.platform !== 'linux' || environment.glibcVersion === undefined)
    return { applied: false, reason: 'not glibc: its allocator keeps no dynamic mmap threshold to fix' };
  if (environment.env.MALLOC_MMAP_THRESHOLD_ !== undefined)
    return { applied: false, reason: 'MALLOC_MMAP_THRESHOLD_ is set: glibc uses that value' };
  let ok: number;
  try {
    ok = mallopt()(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
  } catch (e) {
    return { applied: false, reason: `mallopt could not be called: ${(e as Error).message}` };
  }
  if (ok !== 1) return { applied: false, reason: 'mallopt refused the threshold' };
  return { applied: true, mmapThresholdBytes: MMAP_THRESHOLD_BYTES };
}

/** How often a server hands glibc's free pages back (returnFreePagesEvery). */
export const TRIM_EVERY_MS = 60_000;

/**
 * Every `everyMs`, glibc's malloc_trim(0): whole free pages anywhere in the heaps go back to the system, not
 * only those at the top. The fixed threshold keeps large blocks out of the heap; small ones (hash-map nodes of
 * a replaced index, the backing stores of short-lived typed arrays) still leave free pages between live ones.
 * A walk over the free chunks: milliseconds, once a minute. Returns the timer (unref'd), or undefined off glibc.
 */
export function returnFreePagesEvery(
  everyMs: number,
  environment: AllocatorEnvironment = currentAllocatorEnvironment(),
): NodeJS.Timeout | undefined {
  if (environment.platform !== 'linux' || environment.glibcVersion === undefined) return undefined;
  const trim = load('libc.so.6').func('int malloc_trim(size_t pad)');
  return setInterval(() => void trim(0), everyMs).unref();
}
