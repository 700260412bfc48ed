import { parentPort } from 'node:worker_threads';
import {
  CLAIMED_BY_THREAD,
  type FromSessionThread,
  type GatheredSet,
  type ToSessionThread,
} from './session-thread.protocol';
import { packGathered } from './packed-set';
import { SessionThreadState } from './thread-state';

/**
 * The session thread: a copy of what gathering a session list's candidates reads (SessionThreadState), kept by
 * the main thread's messages, and the gathering itself. Messages are handled one at a time in arrival order; an
 * index load holds the ones behind it, and the main thread gathers in-process until the load is answered.
 */
const port = parentPort!;
const state = new SessionThreadState();

/** The main thread's arena of packed sets (the `arena` message). */
let arena: { buffer: SharedArrayBuffer; claims: Int32Array; slotBytes: number } | undefined;

const send = (m: FromSessionThread) =>
  // A packed set's own buffer is moved, not copied.
  port.postMessage(m, m.kind === 'gathered' ? [m.packed.buffer as ArrayBuffer] : []);

/**
 * Packs a gathered set into the request's slot of the arena when it fits: no buffer is allocated here nor moved
 * to the main thread, where each one counted as external memory and set off a full collection every few seconds
 * under load. A set too long for a slot gets a buffer of its own.
 */
function gathered(id: number, set: GatheredSet, session: readonly string[], slot: number | undefined): void {
  const into =
    arena && slot !== undefined
      ? { buffer: arena.buffer, byteOffset: slot * arena.slotBytes, byteLength: arena.slotBytes }
      : undefined;
  const packed = packGathered(set, session, into);
  if (packed.buffer !== into?.buffer) {
    send({ kind: 'gathered', id, packed });
    return;
  }
  // The arena itself is not sent: a SharedArrayBuffer in a message reaches the main thread as a new object.
  send({
    kind: 'gathered-in-slot',
    id,
    packed: {
      size: packed.size,
      ids: packed.ids,
      byteOffset: packed.byteOffset,
      byteLength: packed.byteLength,
      examinedRows: packed.examinedRows,
      examinedIds: packed.examinedIds,
    },
  });
}

async function handle(m: ToSessionThread): Promise<void> {
  switch (m.kind) {
    case 'items':
      state.applyItems(m.reset, m.entries);
      return;
    case 'signals':
      state.applySignals(m);
      send({ kind: 'signals-ready', seq: m.seq });
      return;
    case 'index':
      try {
        await state.loadIndex(m.name, m.dir);
        send({ kind: 'index-ready', name: m.name });
      } catch (e) {
        send({ kind: 'index-failed', name: m.name, message: (e as Error).message });
      }
      return;
    case 'arena':
      arena = { buffer: m.buffer, claims: new Int32Array(m.claims), slotBytes: m.slotBytes };
      return;
    case 'stop':
      return;
    case 'gather':
      // The main thread took it over while it waited here: it gathers it itself, and no answer is expected.
      if (
        arena &&
        m.slot !== undefined &&
        Atomics.compareExchange(arena.claims, m.slot, m.id, CLAIMED_BY_THREAD) !== m.id
      )
        return;
      try {
        gathered(m.id, state.gather(m.request), m.request.session, m.slot);
      } catch (e) {
        send({ kind: 'gather-failed', id: m.id, message: (e as Error).message });
      }
      return;
  }
}

let chain: Promise<void> = Promise.resolve();
let stopping = false;
port.on('message', (m: ToSessionThread) => {
  if (m.kind === 'stop') {
    stopping = true;
    // From here, between two messages, never inside a native call of the index (see SessionThread's close).
    chain = chain.then(() => {
      send({ kind: 'stopped' });
      process.exit(0);
    });
    return;
  }
  chain = chain.then(() => (stopping ? undefined : handle(m)));
});
