import { parentPort } from 'node:worker_threads';
import type { FromSessionThread, ToSessionThread } from './session-thread.protocol';
import { packGathered } from './packed-set';
import { SessionThreadState } from './thread-state';

/**
 * The session thread: a copy of what gathering a session list's candidates reads (SessionThreadState), kept by
 * the main thread's messages, and the gathering itself. Messages are handled one at a time in arrival order; an
 * index load holds the ones behind it, and the main thread gathers in-process until the load is answered.
 */
const port = parentPort!;
const state = new SessionThreadState();

const send = (m: FromSessionThread) =>
  // A packed set's buffer is moved, not copied.
  port.postMessage(m, m.kind === 'gathered' ? [m.packed.buffer] : []);

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
    case 'stop':
      return;
    case 'gather':
      try {
        send({
          kind: 'gathered',
          id: m.id,
          packed: packGathered(state.gather(m.request), m.request.session),
        });
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
