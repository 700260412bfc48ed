import { EncodeQueue, EncoderBusyError, type EncodeLane } from './encode-queue';

/** A batch as the pool queues it: which call it belongs to and its texts. */
interface Batch {
  lane: EncodeLane;
  texts: string[];
}

/**
 * A hand-made encoder with one worker: it runs whatever the queue hands it next, one batch at a time, and
 * records the order. What is under test is the order the queue chooses, not the vectors.
 */
class FakeEncoderWorker {
  readonly ran: Batch[] = [];

  constructor(private readonly queue: EncodeQueue<Batch>) {}

  /** Runs up to `n` batches (fewer when the queue empties). */
  run(n: number): void {
    for (let i = 0; i < n; i++) {
      const batch = this.queue.take();
      if (!batch) return;
      this.ran.push(batch);
    }
  }
}

const batches = (lane: EncodeLane, n: number, tag: string = lane): Batch[] =>
  Array.from({ length: n }, (_, i) => ({ lane, texts: [`${tag}-${i}`] }));

describe('EncodeQueue (encoder scheduling)', () => {
  it('serves an interactive batch before bulk batches queued earlier', () => {
    const queue = new EncodeQueue<Batch>({ maxInteractive: 8, bulkEvery: 4 });
    const worker = new FakeEncoderWorker(queue);
    queue.push('bulk', batches('bulk', 3));
    queue.push('interactive', batches('interactive', 1, 'query'));
    worker.run(1);
    expect(worker.ran.map((b) => b.texts[0])).toEqual(['query-0']);
  });

  it('gives bulk work one batch in every bulkEvery + 1 under steady interactive load', () => {
    const queue = new EncodeQueue<Batch>({ maxInteractive: 1000, bulkEvery: 4 });
    const worker = new FakeEncoderWorker(queue);
    queue.push('bulk', batches('bulk', 10));
    // Interactive work never runs out: two new batches arrive for every one the worker finishes.
    for (let round = 0; round < 50; round++) {
      queue.push('interactive', batches('interactive', 2, `r${round}`));
      worker.run(1);
    }
    const lanes = worker.ran.map((b) => b.lane);
    expect(lanes.slice(0, 10)).toEqual([
      'interactive',
      'interactive',
      'interactive',
      'interactive',
      'bulk',
      'interactive',
      'interactive',
      'interactive',
      'interactive',
      'bulk',
    ]);
    expect(lanes.filter((l) => l === 'bulk')).toHaveLength(10);
    // Bulk batches keep their own order (a reindex's chunks are not shuffled).
    expect(worker.ran.filter((b) => b.lane === 'bulk').map((b) => b.texts[0])).toEqual(
      batches('bulk', 10).map((b) => b.texts[0]),
    );
  });

  it('runs bulk work at once when nothing interactive waits', () => {
    const queue = new EncodeQueue<Batch>({ maxInteractive: 8, bulkEvery: 4 });
    const worker = new FakeEncoderWorker(queue);
    queue.push('bulk', batches('bulk', 3));
    worker.run(10);
    expect(worker.ran.map((b) => b.lane)).toEqual(['bulk', 'bulk', 'bulk']);
    expect(queue.take()).toBeUndefined();
  });

  it('refuses a whole interactive call with a 503 problem when it would pass the bound, and queues none of it', () => {
    const queue = new EncodeQueue<Batch>({ maxInteractive: 3, bulkEvery: 4 });
    queue.push('interactive', batches('interactive', 2, 'first'));
    let refused: unknown;
    try {
      queue.push('interactive', batches('interactive', 2, 'second'));
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(EncoderBusyError);
    const busy = refused as EncoderBusyError;
    expect(busy.getStatus()).toBe(503);
    expect(busy.retryAfterSeconds).toBe(1);
    expect(busy.getResponse()).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(queue.waiting).toEqual({ interactive: 2, bulk: 0 });
    // One more still fits; bulk work is bounded by its callers' chunks, never refused here.
    queue.push('interactive', batches('interactive', 1, 'third'));
    queue.push('bulk', batches('bulk', 50));
    expect(queue.waiting).toEqual({ interactive: 3, bulk: 50 });
  });

  it('drains everything queued, interactive and bulk', () => {
    const queue = new EncodeQueue<Batch>({ maxInteractive: 8, bulkEvery: 4 });
    queue.push('interactive', batches('interactive', 2));
    queue.push('bulk', batches('bulk', 2));
    expect(queue.drain()).toHaveLength(4);
    expect(queue.waiting).toEqual({ interactive: 0, bulk: 0 });
  });
});
