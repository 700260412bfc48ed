import type { QueryRunner } from 'typeorm';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes a session-level advisory lock on the runner's connection, waiting as long as another session holds
 * it. Polled with pg_try_advisory_lock rather than a blocking pg_advisory_lock: a blocked statement would be
 * cancelled by DB_STATEMENT_TIMEOUT_MS, while holders (an index rebuild) may legitimately take minutes.
 */
export async function waitForAdvisoryLock(runner: QueryRunner, key: number, pollMs = 200): Promise<void> {
  for (;;) {
    const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [key])) as Array<{
      ok: boolean;
    }>;
    if (rows[0]?.ok === true) return;
    await sleep(pollMs);
  }
}
