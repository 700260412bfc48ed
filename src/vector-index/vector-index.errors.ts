/**
 * Typed errors so callers can react by kind: an IndexCorruptError means "rebuild from the vectors in
 * PostgreSQL", a dimension error is a programming error (wrong encoder for this index).
 */

export type IndexCorruptReason =
  | 'missing' // index.bin or manifest.json is absent
  | 'pointer' // the CURRENT pointer names no valid index directory
  | 'manifest' // manifest unreadable, truncated or structurally invalid
  | 'checksum' // index.bin does not hash to the manifest checksum
  | 'header' // index.bin header disagrees with the manifest (dimension, M, count)
  | 'mismatch' // valid, but not what the caller expected (dimension, encoder, model version)
  | 'library'; // hnswlib refused the file

export class IndexCorruptError extends Error {
  override readonly name = 'IndexCorruptError';

  constructor(
    readonly reason: IndexCorruptReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class VectorDimensionError extends Error {
  override readonly name = 'VectorDimensionError';

  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`vector has dimension ${actual}, index expects ${expected}`);
  }
}

export class InvalidVectorError extends Error {
  override readonly name = 'InvalidVectorError';
}

/** Thrown by any use of an index after dispose(); means a caller kept a reference past the swap grace period. */
export class IndexDisposedError extends Error {
  override readonly name = 'IndexDisposedError';

  constructor() {
    super('vector index was disposed (swapped out); take a fresh reference from IndexHolder.current()');
  }
}

/** A freshly built index lacks live items PostgreSQL says it must hold: it is not published. */
export class IndexIncompleteError extends Error {
  override readonly name = 'IndexIncompleteError';

  constructor(
    readonly missing: string[],
    readonly expected: number,
  ) {
    super(
      `the new index is missing ${missing.length} of ${expected} live item(s) (e.g. ${missing
        .slice(0, 5)
        .map((id) => JSON.stringify(id))
        .join(', ')}); it was not published and the previous index keeps serving`,
    );
  }
}

/**
 * A rebuild that follows the active model found, when about to publish, that another version had been activated
 * while it built: its index belongs to the old model and is not published (the activation published its own).
 */
export class IndexSupersededError extends Error {
  override readonly name = 'IndexSupersededError';

  constructor(
    readonly built: string,
    readonly active: string,
  ) {
    super(`the index was built for model ${built}, but ${active} was activated meanwhile: not published`);
  }
}
