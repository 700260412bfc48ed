import { ProblemException } from '../common/problem';

/** `interactive`: a request is waiting (a query, a session's items). `bulk`: a reindex or a fine-tune's catalog. */
export type EncodeLane = 'interactive' | 'bulk';

export interface EncodeQueueOptions {
  /** Interactive batches that may wait; a call that would exceed it is refused whole. */
  maxInteractive: number;
  /** After this many interactive batches in a row, a waiting bulk batch goes next. */
  bulkEvery: number;
}

/**
 * The encoder is busy beyond its queue bound: the caller should come back shortly. A 503 problem with
 * Retry-After, since waiting in an ever longer queue only turns overload into timeouts for everyone.
 */
export class EncoderBusyError extends ProblemException {
  readonly retryAfterSeconds = 1;

  constructor(waiting: number) {
    super(
      503,
      `The text encoder is busy (${waiting} batches waiting); retry shortly.`,
      undefined,
      // Also in the body, for clients that read the problem document rather than the headers.
      { retryAfter: 1 },
    );
  }
}

/**
 * The order in which encoder batches run. Interactive batches go first, so a query waits at most a batch or
 * two behind a catalog-wide reindex — but not always first: under steady interactive load a strict priority
 * would never run a bulk batch, and a new catalog would never get indexed. Every `bulkEvery` interactive
 * batches in a row, one bulk batch runs, so bulk work keeps at least 1/(bulkEvery+1) of the encoder.
 */
export class EncodeQueue<T> {
  private readonly interactive: T[] = [];
  private readonly bulk: T[] = [];
  /** Interactive batches taken since the last bulk one. */
  private interactiveRun = 0;

  constructor(private readonly options: EncodeQueueOptions) {
    if (!Number.isInteger(options.maxInteractive) || options.maxInteractive < 1)
      throw new Error('maxInteractive must be a positive integer');
    if (!Number.isInteger(options.bulkEvery) || options.bulkEvery < 1)
      throw new Error('bulkEvery must be a positive integer');
  }

  /** Queues all batches of one call, or none: a request never gets half its texts encoded. */
  push(lane: EncodeLane, tasks: readonly T[]): void {
    if (lane === 'interactive') {
      if (this.interactive.length + tasks.length > this.options.maxInteractive)
        throw new EncoderBusyError(this.interactive.length);
      this.interactive.push(...tasks);
    } else this.bulk.push(...tasks);
  }

  /** The batch to run next, if any. */
  take(): T | undefined {
    const bulkTurn = this.interactive.length === 0 || this.interactiveRun >= this.options.bulkEvery;
    if (this.bulk.length > 0 && bulkTurn) {
      this.interactiveRun = 0;
      return this.bulk.shift();
    }
    const task = this.interactive.shift();
    if (task !== undefined) this.interactiveRun += 1;
    return task;
  }

  /** Removes and returns everything queued (to fail it when the encoder closes or dies). */
  drain(): T[] {
    return [...this.interactive.splice(0), ...this.bulk.splice(0)];
  }

  get waiting(): { interactive: number; bulk: number } {
    return { interactive: this.interactive.length, bulk: this.bulk.length };
  }
}
