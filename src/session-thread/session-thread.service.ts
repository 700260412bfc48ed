import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { CatalogSnapshot, type ItemMeta } from '../catalog/catalog-snapshot';
import { startWorker } from '../common/worker-thread';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { NeighbourLists } from '../ranking/neighbour-lists';
import type { PurchaseSignals } from '../ranking/purchase-signals';
import { INDEX_ROOT } from '../vector-index/index-holder';
import { IndexService } from '../vector-index/index.service';
import type { PackedSet } from './packed-set';
import {
  CLAIMED_HERE,
  type FromSessionThread,
  type GatherRequest,
  type ToSessionThread,
} from './session-thread.protocol';

/** Requests waiting on the thread beyond which new ones are gathered in-process: a stuck thread costs nothing. */
const MAX_IN_FLIGHT = 256;
/**
 * Slots of the arena gathered sets are packed into, and their size: a 10-item cart's set is ~26 KB (~290
 * candidates). Requests beyond the slots, and longer sets, get a buffer of their own, as every set did before.
 */
const ARENA_SLOTS = 64;
const SLOT_BYTES = 32 * 1024;
const RESTART_AFTER_MS = 1000;
/**
 * Lists waiting on the thread that the main thread leaves to it when sharing (SESSION_THREAD_SHARE): the one it
 * will take next. Behind that one, a list would wait at least a whole gathering, while the main thread may be
 * free now.
 */
const SHARE_BEYOND = 1;
/**
 * How long a closing server waits for its session thread to stop by itself (it finishes the message in hand, an
 * index load included) before it terminates it.
 */
const STOP_TIMEOUT_MS = 10_000;

/**
 * A set gathered on the thread. `release` gives its slot of the arena back (a no-op for a set with a buffer of
 * its own): call it once the set is read for the last time, after which its views must not be read — the slot
 * takes the next request's set. Hold a set beyond that only as a copy (ownPacked).
 */
export interface ThreadSet {
  packed: PackedSet;
  release(): void;
}

interface Arena {
  buffer: SharedArrayBuffer;
  /** Per slot, the id of the request sent with it until one side claims it: −1 the thread, −2 the main thread. */
  claims: Int32Array;
  /** Slots not lent to a request, the last given back on top (its memory is the likeliest in cache). */
  free: number[];
}

export interface SessionThreadStats {
  /**
   * `off` (SESSION_THREAD, or one core), `idle` (not started: a one-shot command that asked for no session list
   * yet), `starting` (its first index or signals not loaded yet), `ready`, `restarting` (after the thread stopped).
   */
  state: 'off' | 'idle' | 'starting' | 'ready' | 'restarting';
  /** The index the thread gathers from. */
  index: string | null;
  /** Session lists gathered on the thread, and in-process (thread not ready, another index, a failure). */
  onThread: number;
  inProcess: number;
  /**
   * Of the lists gathered on the thread, those whose set crossed in a slot of the shared arena; the others came
   * in a buffer of their own (every slot was lent, or the set was longer than a slot).
   */
  inSlot: number;
  /**
   * Of the lists gathered in-process, those the main thread took over from the thread's queue
   * (SESSION_THREAD_SHARE).
   */
  takenOver: number;
}

/**
 * Gathers session lists' candidates on a worker thread, so a server's second core does the ranking's heaviest
 * step while its main thread parses, filters and answers requests. The thread keeps its own copy of what
 * gathering reads; this class sends it every change in the order the main thread sees it (catalog rule
 * fields as they change, the purchase signals and the served index before the first request that reads them),
 * so a request answered on the thread sees exactly the state it would have seen in-process. Whenever the
 * thread cannot answer for the state of the moment (an index still loading, a pinned model version's index, a
 * crash), the caller gathers in-process: the thread changes how fast a list is made, never what it holds.
 */
@Injectable()
export class SessionThread implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SessionThread');
  private worker: Worker | undefined;
  private state: SessionThreadStats['state'] = 'off';
  private closing = false;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeIndex: (() => void) | undefined;
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    {
      resolve: (s: ThreadSet | undefined) => void;
      reject: (e: Error) => void;
      slot: number | undefined;
      arena: Arena;
    }
  >();
  /**
   * The shared memory the thread packs sets into, new with each thread started: a slot lent to a request of a
   * thread that stopped is never lent again.
   */
  private arena: Arena = { buffer: new SharedArrayBuffer(0), claims: new Int32Array(0), free: [] };
  /**
   * Requests sent with a slot, oldest first, that the main thread may still take over (share): from
   * `shareHead` on, where the answered ones at the front are dropped (the thread answers in the order sent).
   */
  private shareable: number[] = [];
  private shareHead = 0;
  private shareScheduled = false;
  private takenOver = 0;
  private sentSignals: PurchaseSignals | undefined;
  /** The signals the thread has applied (signals-ready), and those sent but not applied yet, by message seq. */
  private readySignals: PurchaseSignals | undefined;
  private readonly pendingSignals = new Map<number, PurchaseSignals>();
  private signalsSeq = 0;
  /** The signals the server serves now (signalsServed); undefined until it names any. */
  private latestSignals: PurchaseSignals | undefined;
  private sentLists: NeighbourLists | undefined;
  private sentTransitions: NeighbourLists | undefined;
  private sentIndex: string | undefined;
  private readyIndex: string | undefined;
  private onThread = 0;
  private inProcess = 0;
  private inSlot = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly snapshot: CatalogSnapshot,
    private readonly index: IndexService,
    @Inject(LONG_RUNNING_SERVER) private readonly server: boolean,
  ) {
    const mode = config.sessionThread;
    this.state = mode === 'on' || (mode === 'auto' && availableParallelism() >= 2) ? 'idle' : 'off';
  }

  /**
   * A server starts the thread as it starts, so that it has loaded the served index before the first shoppers'
   * carts arrive: started by the first session list, a large catalog's first seconds of carts were gathered on
   * the main thread while the thread copied the index's vectors. One-shot commands (eval, the CLI) start it
   * with their first session list, and never when they ask for none.
   */
  onApplicationBootstrap(): void {
    if (this.server && this.state === 'idle' && !this.closing) this.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    this.unsubscribe?.();
    this.unsubscribeIndex?.();
    const worker = this.worker;
    if (!worker) return;
    // Asked to stop, the thread exits between two messages. terminate() lands wherever the thread is: inside a
    // native call of the index (a search, a vector copied out while loading) the addon cannot throw into a
    // terminating thread and aborts the whole process.
    const exited = new Promise<'exited'>((resolve) => worker.once('exit', () => resolve('exited')));
    worker.postMessage({ kind: 'stop' } satisfies ToSessionThread);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>(
      (resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)),
    );
    const how = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (how === 'late') await worker.terminate();
  }

  stats(): SessionThreadStats {
    return {
      state: this.state,
      index: this.state === 'ready' ? (this.readyIndex ?? null) : null,
      onThread: this.onThread,
      inProcess: this.inProcess,
      inSlot: this.inSlot,
      takenOver: this.takenOver,
    };
  }

  /**
   * The candidates of a session list gathered on the thread from `indexUsed` and `signals`, packed with the
   * request's session (unpackGathered), or undefined when the thread cannot answer for them (the caller
   * gathers in-process). A promise answering undefined means the main thread took the list over while it
   * waited (share), and a rejected one that the thread failed under the request: the caller gathers
   * in-process either way.
   */
  gather(
    indexUsed: unknown,
    signals: PurchaseSignals,
    request: Omit<GatherRequest, 'indexName'>,
  ): Promise<ThreadSet | undefined> | undefined {
    if (this.state === 'idle' && !this.closing) this.start();
    const worker = this.worker;
    const name = this.index.currentName();
    const usable =
      worker !== undefined &&
      indexUsed === this.index &&
      name !== undefined &&
      this.index.current() !== undefined &&
      this.waiting.size < MAX_IN_FLIGHT &&
      // A request that began before the signals were swapped gathers in-process: sent to the thread, its
      // older signals would replace the newer ones there, neighbour lists and all, until the next list.
      (this.latestSignals === undefined || signals === this.latestSignals);
    if (!usable) return this.countInProcess();
    this.sendIndex(name);
    if (name !== this.readyIndex) return this.countInProcess();
    this.sendSignals(signals);
    // Until the thread has unpacked them (seconds for a large catalog's neighbour lists), lists are gathered
    // here rather than queued behind the unpacking.
    if (signals !== this.readySignals) return this.countInProcess();
    this.nextId = (this.nextId % 0x3fffffff) + 1;
    const id = this.nextId;
    this.onThread += 1;
    const arena = this.arena;
    const slot = arena.free.pop();
    if (slot !== undefined) Atomics.store(arena.claims, slot, id);
    if (slot !== undefined && this.config.sessionThreadShare) {
      this.shareable.push(id);
      this.scheduleShare();
    }
    return new Promise<ThreadSet | undefined>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot, arena });
      this.send({ kind: 'gather', id, request: { ...request, indexName: name }, slot });
    });
  }

  /**
   * Sharing runs in the event loop's check phase, right after the I/O that was ready: the main thread takes one
   * list per turn, so requests that arrive meanwhile wait at most one gathering.
   */
  private scheduleShare(): void {
    if (this.shareScheduled || this.shareable.length - this.shareHead <= SHARE_BEYOND) return;
    this.shareScheduled = true;
    setImmediate(this.share);
  }

  /**
   * Takes over the newest list still waiting on the thread behind another, if any: its promise answers undefined
   * and the caller gathers it in-process, from the same state (the thread changes where a list is made, never
   * what it holds). The list's slot holds its id until one side claims it (Atomics.compareExchange): the thread
   * skips a list claimed here, and this skips one the thread began.
   */
  private readonly share = (): void => {
    this.shareScheduled = false;
    const list = this.shareable;
    while (list.length - this.shareHead > SHARE_BEYOND) {
      const id = list.pop()!;
      const w = this.waiting.get(id);
      if (!w || w.slot === undefined) continue;
      if (Atomics.compareExchange(w.arena.claims, w.slot, id, CLAIMED_HERE) !== id) {
        // The thread began it, and it takes lists in the order sent: every older one too.
        this.clearShareable();
        break;
      }
      this.waiting.delete(id);
      this.onThread -= 1;
      this.inProcess += 1;
      this.takenOver += 1;
      this.releaser(w.arena, w.slot)();
      w.resolve(undefined);
      break;
    }
    this.scheduleShare();
  };

  /** Drops the answered requests at the front of `shareable`. */
  private dropAnswered(): void {
    const list = this.shareable;
    while (this.shareHead < list.length && !this.waiting.has(list[this.shareHead])) this.shareHead += 1;
    if (this.shareHead === list.length) this.clearShareable();
    else if (this.shareHead >= 1024) {
      list.splice(0, this.shareHead);
      this.shareHead = 0;
    }
  }

  private clearShareable(): void {
    this.shareable.length = 0;
    this.shareHead = 0;
  }

  /** Gives a slot back to its arena, once; a stopped thread's arena keeps it. */
  private releaser(arena: Arena, slot: number | undefined): () => void {
    let released = slot === undefined;
    return () => {
      if (released) return;
      released = true;
      if (arena === this.arena) arena.free.push(slot!);
    };
  }

  /**
   * The server serves these signals from now on: a running thread gets them at once rather than with the next
   * session list. Their neighbour lists can take the thread seconds to unpack on a large catalog (6.1M
   * neighbours for 100k items), and sent with a request every list behind it waited for that.
   */
  signalsServed(signals: PurchaseSignals): void {
    this.latestSignals = signals;
    if (this.worker && !this.closing) this.sendSignals(signals);
  }

  private countInProcess(): undefined {
    this.inProcess += 1;
    return undefined;
  }

  private start(): void {
    this.state = this.state === 'idle' ? 'starting' : 'restarting';
    this.unsubscribe ??= this.snapshot.onChange((changed) => this.sendItems(changed));
    // A new index is loaded as it is served (after a reindex, a new model, an index another process
    // published), not when the next session list finds the thread behind: the lists asked meanwhile are
    // gathered in-process either way, but there are fewer of them.
    this.unsubscribeIndex ??= this.index.onServed((name) => {
      if (this.worker && !this.closing) this.sendIndex(name);
    });
    this.sentSignals = this.sentLists = this.sentTransitions = this.readySignals = undefined;
    this.pendingSignals.clear();
    this.sentIndex = this.readyIndex = undefined;
    const worker = startWorker(__dirname, 'session-thread.worker', undefined, __filename);
    this.worker = worker;
    this.clearShareable();
    this.arena = {
      buffer: new SharedArrayBuffer(ARENA_SLOTS * SLOT_BYTES),
      claims: new Int32Array(new SharedArrayBuffer(4 * ARENA_SLOTS)),
      free: Array.from({ length: ARENA_SLOTS }, (_, k) => ARENA_SLOTS - 1 - k),
    };
    this.send({
      kind: 'arena',
      buffer: this.arena.buffer,
      claims: this.arena.claims.buffer as SharedArrayBuffer,
      slotBytes: SLOT_BYTES,
    });
    worker.on('message', (m: FromSessionThread) => this.receive(m));
    worker.on('error', (e) => this.logger.error(`session thread failed: ${e.message}`));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.readyIndex = undefined;
      for (const w of this.waiting.values()) w.reject(new Error('the session thread stopped'));
      this.waiting.clear();
      if (this.closing) return;
      this.state = 'restarting';
      this.logger.warn(
        `session thread exited (${code}); restarting it, lists are gathered in-process meanwhile`,
      );
      setTimeout(() => {
        if (!this.closing) this.start();
      }, RESTART_AFTER_MS).unref();
    });
    this.sendItems('all');
    const name = this.index.currentName();
    if (name) this.sendIndex(name);
    if (this.latestSignals) this.sendSignals(this.latestSignals);
  }

  /** Asks the thread to load the served index when it has not been asked for this one yet. */
  private sendIndex(name: string): void {
    if (name === this.sentIndex) return;
    this.sentIndex = name;
    this.send({ kind: 'index', name, dir: path.join(this.config.dataDir, INDEX_ROOT, name) });
  }

  private receive(m: FromSessionThread): void {
    switch (m.kind) {
      case 'index-ready':
        if (m.name === this.sentIndex) this.readyIndex = m.name;
        this.updateReady();
        return;
      case 'signals-ready': {
        const applied = this.pendingSignals.get(m.seq);
        for (const seq of this.pendingSignals.keys()) if (seq <= m.seq) this.pendingSignals.delete(seq);
        if (applied) this.readySignals = applied;
        this.updateReady();
        return;
      }
      case 'index-failed':
        this.logger.warn(`session thread could not load index ${m.name}: ${m.message}`);
        return;
      case 'stopped':
        return;
      case 'gathered':
      case 'gathered-in-slot':
      case 'gather-failed': {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (this.shareable.length > 0) this.dropAnswered();
        if (!w) return;
        const release = this.releaser(w.arena, w.slot);
        if (m.kind === 'gather-failed') {
          release();
          w.reject(new Error(m.message));
        } else if (m.kind === 'gathered') {
          // Too long for its slot: the set came with a buffer of its own, and the slot is free again.
          release();
          w.resolve({ packed: m.packed, release: () => undefined });
        } else {
          this.inSlot += 1;
          w.resolve({ packed: { ...m.packed, buffer: w.arena.buffer }, release });
        }
        return;
      }
    }
  }

  /** `ready` once the thread has loaded an index and applied signals: it can gather from then on. */
  private updateReady(): void {
    if (this.readyIndex !== undefined && this.readySignals !== undefined) this.state = 'ready';
  }

  private send(m: ToSessionThread): void {
    this.worker?.postMessage(m);
  }

  private sendItems(changed: readonly string[] | 'all'): void {
    if (!this.worker) return;
    const entries: Array<[string, ItemMeta | null]> =
      changed === 'all'
        ? [...this.snapshot.entries()]
        : changed.map((id) => [id, this.snapshot.get(id) ?? null]);
    this.send({ kind: 'items', reset: changed === 'all', entries });
  }

  /** Sends the signals when they are not the ones sent last; neighbour lists only when they changed too. */
  private sendSignals(signals: PurchaseSignals): void {
    if (signals === this.sentSignals) return;
    const p = signals.parts();
    const seq = ++this.signalsSeq;
    this.pendingSignals.set(seq, signals);
    this.send({
      kind: 'signals',
      seq,
      counts: p.counts,
      asOf: p.asOf.getTime(),
      ...(p.lists !== this.sentLists ? { lists: p.lists.toWire() } : {}),
      ...(p.transitions !== this.sentTransitions ? { transitions: p.transitions.toWire() } : {}),
    });
    this.sentSignals = signals;
    this.sentLists = p.lists;
    this.sentTransitions = p.transitions;
  }
}
