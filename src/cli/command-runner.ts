import type { INestApplicationContext } from '@nestjs/common';
import { openRuntime, stderrLog, withContext, type Runtime } from './context';

export type Summary = Record<string, unknown>;

/** A command's own report (e.g. the eval table), printed whether or not --json asks for the summary line. */
export class ReportedSummary {
  constructor(
    readonly report: string,
    readonly summary: Summary,
  ) {}
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The one failure path: one line on stderr, and with --json `{ ok: false, error }` as the last stdout line. */
export function reportFailure(e: unknown, json: boolean): void {
  const message = messageOf(e);
  stderrLog(`error: ${message}`);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
  process.exitCode = 1;
}

export function humanize(summary: Summary): string {
  return Object.entries(summary)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join('\n');
}

/**
 * Runs one command: a failure prints its message on stderr and exits non-zero (so cron and CronJobs notice);
 * with --json the last stdout line is a one-line JSON summary either way, otherwise the summary as text.
 */
export async function runCommand(json: boolean, fn: () => Promise<Summary | ReportedSummary>): Promise<void> {
  try {
    const out = await fn();
    const summary = out instanceof ReportedSummary ? out.summary : out;
    if (out instanceof ReportedSummary) process.stdout.write(`${out.report}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
    else if (!(out instanceof ReportedSummary)) process.stdout.write(`${humanize(summary)}\n`);
    process.exitCode = 0;
  } catch (e) {
    reportFailure(e, json);
  }
}

/** Config and database (migrated unless `migrate: false`) for the length of `fn`; the database is stopped after. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  opts: { migrate?: boolean } = {},
): Promise<T> {
  const rt = await openRuntime(opts);
  try {
    return await fn(rt);
  } finally {
    await rt.db.stop();
  }
}

/** `fn` inside a Nest application context (no HTTP, no job polling) on the configured database. */
export function withAppContext<T>(fn: (ctx: INestApplicationContext, rt: Runtime) => Promise<T>): Promise<T> {
  return withRuntime((rt) => withContext(rt, (ctx) => fn(ctx, rt)));
}
