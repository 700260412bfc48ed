import { type ChildProcess, type ForkOptions, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type { EncodeOptions, Encoder } from './encoder.port';
import { EncodeQueue, type EncodeLane } from './encode-queue';
import type { EncoderWorkerOptions, WorkerReply, WorkerRequest } from './encoder-worker';
import { DEFAULT_BATCH_SIZE, type TransformersEncoderOptions } from './transformers-encoder';
import { tsNodeEnv } from '../common/worker-thread';

/**
 * An Encoder that runs TransformersEncoder in worker processes, so inference never runs on the HTTP event
 * loop.
 *
 * Why processes and not worker_threads: onnxruntime-node 1.14 (the one @xenova/transformers 2.x uses) is not
 * a context-aware addon, so it loads in exactly one thread per process, once: a second worker thread — or a
 * restarted one, or a second pool in the same Jest worker — dies with "Module did not self-register"
 * (huggingface/transformers.js#651). Forked processes load it independently; as a bonus a native crash or
 * an out-of-memory in the model kills a worker, not the API.
 *
 * Texts are sorted by token count and cut into batches; each idle worker takes the next batch. Sorting
 * matters more than it looks: the model pads every batch to its longest text, and product titles range from
 * 2 to 30+ tokens, so unsorted batches spend a third of their work on padding. A worker that dies fails only its
 * own batch and is replaced (at most 3 times a minute).
 *
 * Threads: onnxruntime would start one intra-op thread per core in *each* worker, so with N workers on C
 * cores each session gets max(1, floor(C / N)); the default pool size is min(2, C).
 */

export interface EncoderPoolOptions extends TransformersEncoderOptions {
  /** Worker processes (default min(2, cores)). */
  poolSize?: number;
  /** How long a worker may take to load its model (default 120 s: first hub downloads are slow). */
  startupTimeoutMs?: number;
  /** Interactive batches that may wait before a call is refused with EncoderBusyError (default 32). */
  maxQueuedInteractive?: number;
  /** After this many interactive batches in a row, one waiting bulk batch runs (default 4). */
  bulkEvery?: number;
}

type TaskRequest = { kind: 'encode'; texts: string[] } | { kind: 'tokenize'; texts: string[] };

interface Task {
  request: TaskRequest;
  resolve: (reply: WorkerReply) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  child: ChildProcess;
  current: { requestId: number; task: Task } | null;
  /** Closing or dead: takes no more work. */
  retired: boolean;
  exited: Promise<void>;
}

const CLOSE_GRACE_MS = 5000;
/** A worker that keeps dying is a broken model or machine, not bad luck: stop replacing it. */
const MAX_RESPAWNS_PER_MINUTE = 3;

export class EncoderPool implements Encoder {
  /** Two lanes, interactive ahead of bulk but with a guaranteed share for bulk (see EncodeQueue). */
  private readonly queue: EncodeQueue<Task>;
  private workers: PoolWorker[] = [];
  private nextRequestId = 1;
  private closed = false;
  private pendingSpawns = 0;
  private respawnTimes: number[] = [];

  private constructor(
    readonly id: string,
    readonly dimension: number,
    workers: PoolWorker[],
    private readonly batchSize: number,
    private readonly workerOptions: EncoderWorkerOptions,
    private readonly startupTimeoutMs: number,
    queue: { maxQueuedInteractive: number; bulkEvery: number },
  ) {
    this.queue = new EncodeQueue<Task>({
      maxInteractive: queue.maxQueuedInteractive,
      bulkEvery: queue.bulkEvery,
    });
    for (const w of workers) this.add(w);
  }

  static async start(options: EncoderPoolOptions): Promise<EncoderPool> {
    const cores = availableParallelism();
    const poolSize = options.poolSize ?? Math.min(2, cores);
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error('poolSize must be a positive integer');
    const workerOptions: EncoderWorkerOptions = {
      model: options.model,
      dataDir: options.dataDir,
      batchSize: options.batchSize,
      quantized: options.quantized,
      intraOpThreads: options.intraOpThreads ?? Math.max(1, Math.floor(cores / poolSize)),
    };
    const timeoutMs = options.startupTimeoutMs ?? 120_000;

    const started = await Promise.allSettled(
      Array.from({ length: poolSize }, () => startWorker(workerOptions, timeoutMs)),
    );
    const ready = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const stopAll = (): Promise<void[]> => Promise.all(ready.map((r) => stopChild(r.worker)));
    if (failure) {
      await stopAll();
      throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    }
    const { id, dimension } = ready[0].hello;
    if (ready.some((r) => r.hello.id !== id || r.hello.dimension !== dimension)) {
      await stopAll();
      throw new Error('encoder workers disagree on the model id: the model folder changed while starting');
    }
    return new EncoderPool(
      id,
      dimension,
      ready.map((r) => r.worker),
      options.batchSize ?? DEFAULT_BATCH_SIZE,
      workerOptions,
      timeoutMs,
      { maxQueuedInteractive: options.maxQueuedInteractive ?? 32, bulkEvery: options.bulkEvery ?? 4 },
    );
  }

  /** Live workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Process ids of the live workers (for health checks and tests). */
  get workerPids(): number[] {
    return this.workers.flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  /**
   * Without a lane, a call that fits in one batch (a search query, one changed item) counts as interactive and
   * a larger one as bulk.
   */
  async encode(texts: string[], options: EncodeOptions = {}): Promise<Float32Array[]> {
    this.assertOpen();
    if (texts.length === 0) return [];
    const lane: EncodeLane = options.lane ?? (texts.length <= this.batchSize ? 'interactive' : 'bulk');
    const lengths =
      texts.length > this.batchSize ? await this.tokenCounts(texts, lane) : texts.map((t) => t.length);
    const order = texts.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += this.batchSize) {
      batches.push(order.slice(start, start + this.batchSize));
    }
    const result = new Array<Float32Array>(texts.length);
    const replies = this.submit(
      lane,
      batches.map((indices) => ({ kind: 'encode', texts: indices.map((i) => texts[i]) })),
    );
    await Promise.all(
      batches.map(async (indices, b) => {
        const reply = await replies[b];
        if (reply.kind !== 'vectors') throw new Error(`unexpected worker reply ${reply.kind}`);
        // Re-wrapped (no copy) with this module's Float32Array: IPC deserialises in Node's main realm, which
        // is not the realm of a Jest test or a vm context, and `instanceof` should hold for callers anywhere.
        indices.forEach((textIndex, k) => {
          const v = reply.vectors[k];
          result[textIndex] = new Float32Array(v.buffer, v.byteOffset, v.length);
        });
      }),
    );
    return result;
  }

  /**
   * Token counts, so that bulk batches group texts of equal token length: on Online Retail titles that
   * cuts padded positions from 18.5 to 15.1 per title versus sorting by characters, for ~2% extra
   * tokenisation work. Counting is spread over the workers.
   */
  private async tokenCounts(texts: string[], lane: EncodeLane): Promise<number[]> {
    const chunk = Math.max(this.batchSize, Math.ceil(texts.length / Math.max(1, this.workers.length)));
    const parts: TaskRequest[] = [];
    for (let start = 0; start < texts.length; start += chunk)
      parts.push({ kind: 'tokenize', texts: texts.slice(start, start + chunk) });
    const replies = await Promise.all(this.submit(lane, parts));
    return replies
      .flatMap((reply) => {
        if (reply.kind !== 'tokens') throw new Error(`unexpected worker reply ${reply.kind}`);
        return reply.tokens;
      })
      .map((ids) => ids.length);
  }

  /** Token ids as the model sees them (after truncation); for parity checks and diagnostics, not serving. */
  async tokenize(texts: string[]): Promise<number[][]> {
    this.assertOpen();
    const [reply] = await Promise.all(this.submit('bulk', [{ kind: 'tokenize', texts }]));
    if (reply.kind !== 'tokens') throw new Error(`unexpected worker reply ${reply.kind}`);
    return reply.tokens;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectQueued(new Error(`encoder ${this.id} was closed`));
    const workers = this.workers;
    this.workers = [];
    await Promise.all(
      workers.map((w) => {
        w.retired = true;
        return stopChild(w);
      }),
    );
  }

  /** Queues the requests of one call together (all or none: the queue may refuse them) and starts work. */
  private submit(lane: EncodeLane, requests: TaskRequest[]): Array<Promise<WorkerReply>> {
    const tasks: Task[] = [];
    const replies = requests.map(
      (request) => new Promise<WorkerReply>((resolve, reject) => tasks.push({ request, resolve, reject })),
    );
    this.queue.push(lane, tasks);
    this.pump();
    return replies;
  }

  private pump(): void {
    for (const w of this.workers) {
      if (w.current || w.retired) continue;
      const task = this.queue.take();
      if (!task) return;
      const requestId = this.nextRequestId++;
      w.current = { requestId, task };
      w.child.send({ ...task.request, requestId } satisfies WorkerRequest, (err) => {
        if (err) this.retire(w, err);
      });
    }
  }

  private add(w: PoolWorker): void {
    this.workers.push(w);
    w.child.on('message', (reply: WorkerReply) => {
      const current = w.current;
      if (!('requestId' in reply) || !current || current.requestId !== reply.requestId) return;
      w.current = null;
      if (reply.kind === 'error') current.task.reject(new Error(`encoder worker: ${reply.message}`));
      else current.task.resolve(reply);
      this.pump();
    });
    w.child.on('exit', (code, signal) => {
      if (!w.retired) this.retire(w, new Error(`encoder worker exited (code ${code}, signal ${signal})`));
    });
  }

  /**
   * A dead worker takes only its in-flight batch down; the others keep serving and a replacement is started.
   * With no worker left and none starting, queued work fails fast instead of waiting forever.
   */
  private retire(w: PoolWorker, err: Error): void {
    if (w.retired) return;
    w.retired = true;
    this.workers = this.workers.filter((other) => other !== w);
    const current = w.current;
    w.current = null;
    current?.task.reject(err);
    void stopChild(w);
    this.respawn();
    if (this.workers.length === 0 && this.pendingSpawns === 0) this.rejectQueued(err);
    else this.pump();
  }

  private respawn(): void {
    const now = Date.now();
    this.respawnTimes = this.respawnTimes.filter((t) => now - t < 60_000);
    if (this.closed || this.respawnTimes.length >= MAX_RESPAWNS_PER_MINUTE) return;
    this.respawnTimes.push(now);
    this.pendingSpawns++;
    startWorker(this.workerOptions, this.startupTimeoutMs).then(
      ({ worker, hello }) => {
        this.pendingSpawns--;
        // The folder may have been rebuilt meanwhile: a worker with another model must not join this pool.
        if (this.closed || hello.id !== this.id) {
          void stopChild(worker);
          if (this.workers.length === 0 && this.pendingSpawns === 0) {
            this.rejectQueued(new Error(`encoder ${this.id} could not be restarted`));
          }
          return;
        }
        this.add(worker);
        this.pump();
      },
      (err: unknown) => {
        this.pendingSpawns--;
        if (this.workers.length === 0 && this.pendingSpawns === 0) {
          this.rejectQueued(err instanceof Error ? err : new Error(String(err)));
        }
      },
    );
  }

  private rejectQueued(err: Error): void {
    for (const task of this.queue.drain()) task.reject(err);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`encoder ${this.id} is closed`);
    if (this.workers.length === 0 && this.pendingSpawns === 0) {
      throw new Error(`encoder ${this.id} has no live worker`);
    }
  }
}

async function startWorker(
  options: EncoderWorkerOptions,
  timeoutMs: number,
): Promise<{ worker: PoolWorker; hello: { id: string; dimension: number } }> {
  const child = spawnWorker(options);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const worker: PoolWorker = { child, current: null, retired: false, exited };
  let onMessage: (reply: WorkerReply) => void = () => undefined;
  let onExit: (code: number | null) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const hello = await new Promise<{ id: string; dimension: number }>((resolve, reject) => {
      onMessage = (reply) => {
        if (reply.kind === 'ready') resolve({ id: reply.id, dimension: reply.dimension });
        else if (reply.kind === 'failed')
          reject(new Error(`encoder worker failed to load ${options.model}: ${reply.message}`));
      };
      onExit = (code) =>
        reject(new Error(`encoder worker exited with code ${code} while loading ${options.model}`));
      timer = setTimeout(
        () => reject(new Error(`encoder worker did not load ${options.model} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.on('message', onMessage).on('exit', onExit);
    });
    return { worker, hello };
  } catch (err) {
    await stopChild(worker);
    throw err;
  } finally {
    clearTimeout(timer);
    child.off('message', onMessage).off('exit', onExit);
  }
}

/** Asks politely (the worker releases its session and exits), then SIGKILLs after a grace period. */
async function stopChild(w: PoolWorker): Promise<void> {
  const { child } = w;
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ kind: 'close', requestId: 0 } satisfies WorkerRequest, () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
  await w.exited;
  clearTimeout(timer);
}

/**
 * Compiled (`dist/`): the worker is the sibling `encoder-worker.js`. From TypeScript sources (ts-node, ts-jest)
 * there is no .js file, so the child preloads ts-node (transpile-only: types were checked already) and runs
 * the .ts sibling. ts-node is a dev dependency, which is fine: production runs the compiled code.
 */
function spawnWorker(options: EncoderWorkerOptions): ChildProcess {
  const args = [JSON.stringify(options)];
  const compiled = path.join(__dirname, 'encoder-worker.js');
  // Advanced serialisation (structured clone) carries Float32Array as typed arrays, not as JSON objects.
  const common: ForkOptions = { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] };
  if (path.extname(__filename) === '.js' && existsSync(compiled)) {
    // Inherit flags such as --max-old-space-size, but not a debugger port the parent already holds.
    return fork(compiled, args, {
      ...common,
      execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
    });
  }
  return fork(path.join(__dirname, 'encoder-worker.ts'), args, {
    ...common,
    execArgv: ['--require', require.resolve('ts-node/register/transpile-only')],
    env: tsNodeEnv(),
  });
}
