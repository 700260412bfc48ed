import type { DataSource, QueryRunner } from 'typeorm';
import type { AdvisoryLockKey } from './locks';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A session-level lock belongs to one connection: it is taken and released on the same query runner. */
type LockSession = Pick<QueryRunner, 'query'>;

/** Takes the lock on this session if it is free; false when another session holds it. */
export async function acquireIfFree(session: LockSession, key: AdvisoryLockKey): Promise<boolean> {
  const rows = (await session.query('SELECT pg_try_advisory_lock($1) AS ok', [key])) as Array<{
    ok: boolean;
  }>;
  return rows[0]?.ok === true;
}

/**
 * Takes the lock on this session, waiting as long as another session holds it. Polled with
 * pg_try_advisory_lock rather than a blocking pg_advisory_lock: a blocked statement would be cancelled by
 * DB_STATEMENT_TIMEOUT_MS, while holders (an index rebuild, a job) may legitimately take minutes.
 */
export async function acquire(session: LockSession, key: AdvisoryLockKey, pollMs = 200): Promise<void> {
  while (!(await acquireIfFree(session, key))) await sleep(pollMs);
}

/** Releases a lock this session holds; a lost connection has released it already. */
export async function release(session: LockSession, key: AdvisoryLockKey): Promise<void> {
  await session.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
}

/** Runs `fn` holding the lock, waiting for it first if another session holds it. */
export async function withLock<T>(db: DataSource, key: AdvisoryLockKey, fn: () => Promise<T>): Promise<T> {
  const session = db.createQueryRunner();
  await session.connect();
  try {
    await acquire(session, key);
    try {
      return await fn();
    } finally {
      await release(session, key);
    }
  } finally {
    await session.release();
  }
}

export type TryLockResult<T> = { held: true; value: T } | { held: false };

/** Runs `fn` holding the lock if it is free now; `{ held: false }` (and `fn` not run) when it is not. */
export async function tryLock<T>(
  db: DataSource,
  key: AdvisoryLockKey,
  fn: () => Promise<T>,
): Promise<TryLockResult<T>> {
  const session = db.createQueryRunner();
  await session.connect();
  try {
    if (!(await acquireIfFree(session, key))) return { held: false };
    try {
      return { held: true, value: await fn() };
    } finally {
      await release(session, key);
    }
  } finally {
    await session.release();
  }
}
