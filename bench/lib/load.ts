import autocannon from 'autocannon';
import { machineBusyCpuMs, processCpuMs, threadCpuMs } from './server';

export interface LoadResult {
  name: string;
  connections: number;
  seconds: number;
  requestsPerSec: number;
  p50ms: number;
  /** p90 and the slowest request: whether p99 is a tail of a few stalls or the whole distribution. */
  p90ms: number;
  p99ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  /**
   * The server's CPU time per answered request over the measured run (with `serverPid`): steadier than req/s
   * on a shared machine, where the load generator and other processes take turns on the same cores.
   */
  serverCpuMsPerRequest?: number;
  /**
   * The same split by thread (Linux): the main thread, the busiest other thread (under session load the session
   * thread) and the rest (the collector's and libuv's helpers). Whichever is near a full core is the bottleneck.
   */
  serverThreadsCpuMsPerRequest?: { main: number; busiestOther: number; rest: number };
  /**
   * This process's CPU time per answered request (autocannon and the route's `next`): the load generator shares
   * the machine's cores with the server, so a route whose requests cost it more leaves the server less.
   */
  generatorCpuMsPerRequest?: number;
  /**
   * The whole machine's busy CPU time per answered request (server, load generator, PostgreSQL and the rest):
   * on two cores a route can run at most 2000 / this many requests per second.
   */
  machineCpuMsPerRequest?: number;
  /** The same server's /health/live req/s this route's share is taken against (api-load). */
  liveRequestsPerSec?: number;
}

export interface LoadOptions {
  name: string;
  url: string;
  connections?: number;
  seconds?: number;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  /** A fresh path (and body) per request, e.g. a random item id. */
  next?: () => { path: string; body?: string };
  /**
   * Seconds of the same load before the measured run, not counted (default 2; BENCH_WARMUP_SECONDS): the JIT
   * compiles the route and its pools fill, so a route measured first is not charged for the server's start.
   */
  warmupSeconds?: number;
  /** The server's process: its CPU time over the measured run is reported per request. */
  serverPid?: number;
}

/** Seconds of warm-up before each measured run unless a run says otherwise (BENCH_WARMUP_SECONDS, default 2). */
export function warmupSeconds(): number {
  return Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
}

/** One autocannon run from this process, over loopback. */
export async function load(o: LoadOptions): Promise<LoadResult> {
  const connections = o.connections ?? 32;
  const seconds = o.seconds ?? 10;
  const warmup = o.warmupSeconds ?? warmupSeconds();
  const base = {
    url: o.url,
    connections,
    method: o.method ?? 'GET',
    // BENCH_RATE: requests per second over all connections (autocannon's overallRate) rather than as many as
    // answered: routes compared at one rate, where a saturated machine serves each with different batching.
    ...(process.env.BENCH_RATE ? { overallRate: Number(process.env.BENCH_RATE) } : {}),
    headers: { 'content-type': 'application/json', ...o.headers },
    requests: o.next
      ? [
          {
            setupRequest: (req: autocannon.Request) => {
              const n = o.next!();
              return { ...req, path: n.path, body: n.body };
            },
          },
        ]
      : undefined,
  } satisfies Partial<autocannon.Options>;
  // The warm-up is a run of its own, so the server's CPU can be read between it and the measured run.
  if (warmup > 0) await autocannon({ ...base, duration: warmup });
  const cpuBefore = o.serverPid === undefined ? undefined : processCpuMs(o.serverPid);
  const threadsBefore = o.serverPid === undefined ? undefined : threadCpuMs(o.serverPid);
  const generatorBefore = process.cpuUsage();
  const machineBefore = machineBusyCpuMs();
  const result = await autocannon({ ...base, duration: seconds });
  const generator = process.cpuUsage(generatorBefore);
  const machineAfter = machineBusyCpuMs();
  const cpuAfter = o.serverPid === undefined ? undefined : processCpuMs(o.serverPid);
  const threadsAfter = o.serverPid === undefined ? undefined : threadCpuMs(o.serverPid);
  const answered = result.requests.total;
  const threads =
    threadsBefore && threadsAfter && threadsAfter.size > 0 && answered > 0
      ? splitByThread(o.serverPid!, threadsBefore, threadsAfter, answered)
      : undefined;
  return {
    name: o.name,
    connections,
    seconds,
    requestsPerSec: result.requests.average,
    p50ms: result.latency.p50,
    p90ms: result.latency.p90,
    p99ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && answered > 0
      ? { serverCpuMsPerRequest: +((cpuAfter - cpuBefore) / answered).toFixed(3) }
      : {}),
    ...(threads ? { serverThreadsCpuMsPerRequest: threads } : {}),
    ...(answered > 0
      ? { generatorCpuMsPerRequest: +((generator.user + generator.system) / 1000 / answered).toFixed(3) }
      : {}),
    ...(machineBefore !== undefined && machineAfter !== undefined && answered > 0
      ? { machineCpuMsPerRequest: +((machineAfter - machineBefore) / answered).toFixed(3) }
      : {}),
  };
}

/** Per-request CPU of the main thread, the busiest other thread and the rest, between two readings. */
function splitByThread(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
  answered: number,
): { main: number; busiestOther: number; rest: number } {
  let main = 0;
  const others: number[] = [];
  for (const [tid, ms] of after) {
    // A thread started during the run (a restarted worker) counts from zero.
    const used = ms - (before.get(tid) ?? 0);
    if (tid === pid) main = used;
    else others.push(used);
  }
  const busiest = others.length > 0 ? Math.max(...others) : 0;
  const rest = others.reduce((a, b) => a + b, 0) - busiest;
  const per = (ms: number) => +(ms / answered).toFixed(3);
  return { main: per(main), busiestOther: per(busiest), rest: per(rest) };
}

export function printResult(r: LoadResult): void {
  process.stdout.write(
    `${r.name.padEnd(34)} ${r.requestsPerSec.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms.toFixed(1)} ms  p90 ${r.p90ms.toFixed(1)} ms  p99 ${r.p99ms.toFixed(1)} ms  max ${r.maxMs.toFixed(0)} ms  errors ${r.errors}  non-2xx ${r.non2xx}` +
      `${r.serverCpuMsPerRequest === undefined ? '' : `  server CPU ${r.serverCpuMsPerRequest.toFixed(3)} ms/req`}` +
      `${threadSplit(r.serverThreadsCpuMsPerRequest)}` +
      `${r.generatorCpuMsPerRequest === undefined ? '' : `  load generator ${r.generatorCpuMsPerRequest.toFixed(3)} ms/req`}` +
      `${r.machineCpuMsPerRequest === undefined ? '' : `  machine ${r.machineCpuMsPerRequest.toFixed(3)} ms/req`}` +
      `${r.liveRequestsPerSec ? `  ${((100 * r.requestsPerSec) / r.liveRequestsPerSec).toFixed(1)} % of live (${r.liveRequestsPerSec.toFixed(0)})` : ''}\n`,
  );
}

function threadSplit(t: LoadResult['serverThreadsCpuMsPerRequest']): string {
  return t === undefined
    ? ''
    : ` (main ${t.main.toFixed(3)}, busiest other thread ${t.busiestOther.toFixed(3)}, rest ${t.rest.toFixed(3)})`;
}
