/**
 * The reads by user that must not grow with the event log (src/events/user-activity.ts): the 10,000 most recently
 * active users (the list warmer's pass) and the event and user counts (`GET /v1/admin/stats`), timed against
 * grouping every event by user, as both did before, on a synthetic log made once in its own database
 * (`aisle_bench_users_<events>_<users>`: views, users drawn with a skew so some come back often, one event every
 * few seconds over a year). `--db name` times an existing Aisle database instead (e.g. aisle_bench_api_ft).
 * Each read runs `--rounds` times; prints the wall time of each (PostgreSQL's own, on this machine).
 * Usage: npm run build && node dist/bench/user-activity.js [--events 10000000] [--users 300000] [--db name] [--rounds 2]
 */
import { Client } from 'pg';
import type { RowQuery } from '../src/events/learning-events';
import { countEventsAndUsers, recentlyActiveUsers, userCountPlan } from '../src/events/user-activity';
import { databaseExists, dbUrl, recreateDatabase, runCli } from './lib/server';

const arg = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;

const WARM_USERS = 10_000;

async function syntheticLog(events: number, users: number): Promise<string> {
  const name = `aisle_bench_users_${events}_${users}`;
  if (await databaseExists(name)) return dbUrl(name);
  const url = await recreateDatabase(name);
  await runCli(['db:migrate'], { DATABASE_URL: url });
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    process.stdout.write(`writing ${events} events of up to ${users} users once…\n`);
    await c.query(
      `INSERT INTO events (user_id, item_id, type, occurred_at)
       SELECT 'u' || floor(power(random(), 2) * $2::int)::int, 'i' || floor(random() * 5000)::int, 'view',
              now() - (g::float8 / $1::int) * interval '365 days'
       FROM generate_series(1, $1::int) g`,
      [events, users],
    );
    await c.query('VACUUM ANALYZE events');
  } finally {
    await c.end();
  }
  return url;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await run();
  return { ms: Math.round(performance.now() - start), value };
}

async function main(): Promise<void> {
  const db = arg('--db');
  const url = db
    ? dbUrl(db)
    : await syntheticLog(Number(arg('--events') ?? 10_000_000), Number(arg('--users') ?? 300_000));
  const rounds = Number(arg('--rounds') ?? 2);
  const c = new Client({ connectionString: url });
  await c.connect();
  const query: RowQuery = async (sql, params) => (await c.query<Record<string, unknown>>(sql, params)).rows;
  try {
    process.stdout.write(
      `${new URL(url).pathname.slice(1)}: user count plan ${await userCountPlan(query)}\n`,
    );
    for (let r = 0; r < rounds; r++) {
      const oldRecent = await timed(() =>
        query(
          `SELECT user_id FROM events GROUP BY user_id ORDER BY max(occurred_at) DESC, user_id LIMIT $1`,
          [WARM_USERS],
        ),
      );
      const newRecent = await timed(() => recentlyActiveUsers(query, WARM_USERS));
      const same = JSON.stringify(oldRecent.value.map((x) => x.user_id)) === JSON.stringify(newRecent.value);
      const oldCounts = await timed(() =>
        query(`SELECT count(*)::bigint AS events, count(DISTINCT user_id)::bigint AS users FROM events`, []),
      );
      const newCounts = await timed(() => countEventsAndUsers(query));
      process.stdout.write(
        `${JSON.stringify({
          recentUsers: {
            groupingTheLog: oldRecent.ms,
            userActivity: newRecent.ms,
            users: newRecent.value.length,
            same,
          },
          counts: { groupingTheLog: oldCounts.ms, userActivity: newCounts.ms, ...newCounts.value },
        })}\n`,
      );
      if (!same) throw new Error('the two reads disagree on the most recent users');
    }
  } finally {
    await c.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
