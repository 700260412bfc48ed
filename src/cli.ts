import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { ItemsRepository } from './catalog/items.repository';
import { openRuntime, stderrLog, withContext, type Runtime } from './cli/context';
import { terminalProgress } from './cli/progress';
import { ConfigError } from './config/config.schema';
import { runMigrations } from './database/database.bootstrap';
import { createHttpApp } from './http-app';
import { ImportService, type ImportSummary } from './import/import.service';
import { runEval } from './cli/eval.command';
import { placementsExportCommand } from './cli/placements-export.command';
import { placementsImportCommand } from './cli/placements-import.command';
import { loadConfig } from './config/config.schema';
import { EncoderProvider } from './embeddings/encoder.provider';
import { JobsService } from './jobs/jobs.service';
import { REINDEX } from './vector-index/reindex.job';
import { FINETUNE } from './training/finetune.job';
import { COPURCHASE, CopurchaseJob } from './copurchase/copurchase.job';

/** The demo catalog `npm start` loads into an empty database (UCI Online Retail, CC BY 4.0; see data/). */
export const DEMO_FILE = path.resolve(__dirname, '..', '..', 'data', 'online-retail', 'online_retail.csv.gz');
const demoFile = () =>
  fs.existsSync(DEMO_FILE) ? DEMO_FILE : path.resolve('data', 'online-retail', 'online_retail.csv.gz');

/**
 * Runs one command: a failure prints its message on stderr and exits 1 (so cron and CronJobs notice);
 * with --json the last stdout line is a one-line JSON summary either way.
 */
async function run(json: boolean, fn: () => Promise<Record<string, unknown>>): Promise<void> {
  try {
    const summary = await fn();
    if (json) process.stdout.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
    else process.stdout.write(`${humanize(summary)}\n`);
    process.exitCode = 0;
  } catch (e) {
    const message =
      e instanceof ConfigError || !(e instanceof Error) ? String((e as Error).message ?? e) : e.message;
    stderrLog(`error: ${message}`);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
    process.exitCode = 1;
  }
}

function humanize(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join('\n');
}

/**
 * Queues a job and runs it in this process. A server replica may claim it first (it polls the same queue):
 * then this waits for that run and reports its outcome, so the command's exit code is right either way.
 */
async function runJobHere(
  jobs: JobsService,
  kind: string,
  params: Record<string, unknown>,
  progress: (phase: string, done: number, total: number) => void,
): Promise<Record<string, unknown>> {
  const job = await jobs.enqueue(kind, params);
  let done = await jobs.runNext(job.id, (d, t) => progress(kind, d, t));
  while (!done || done.status === 'queued' || done.status === 'running') {
    await new Promise((r) => setTimeout(r, 1000));
    done = await jobs.get(job.id);
    if (done) progress(kind, done.progress.done, done.progress.total);
  }
  if (done.status !== 'succeeded') throw new Error(done.error ?? `${kind} failed`);
  return { jobId: done.id, ...done.result };
}

async function closing<T>(rt: Runtime, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await rt.db.stop();
  }
}

async function serve(opts: { demo?: boolean }): Promise<void> {
  const rt = await openRuntime();
  const app = await createHttpApp(rt.config, rt.db.url);
  try {
    if (opts.demo) {
      const items = await app.get(ItemsRepository).countLive();
      if (items === 0) {
        rt.log(`empty database: loading the demo catalog and its purchase history from ${demoFile()}`);
        const s = await app.get(ImportService).onlineRetail(demoFile());
        rt.log(
          `demo loaded: ${s.items.upserted} items, ${s.events.accepted} events in ${s.seconds.toFixed(1)} s`,
        );
      }
    }
    await app.listen(rt.config.port, rt.config.host);
  } catch (e) {
    await app.close();
    await rt.db.stop();
    throw e;
  }
  rt.log(`aisle listening on http://${rt.config.host}:${rt.config.port} (docs at /docs)`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.log(`${signal}: shutting down`);
    void app
      .close()
      .then(() => rt.db.stop())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

export function buildCli(): Command {
  const program = new Command('aisle').description('Aisle retail recommendation engine').showHelpAfterError();

  program
    .command('serve')
    .description('migrate, prepare what is missing and serve the HTTP API on PORT')
    .option('--demo', 'load the demo catalog and history when the database is empty')
    .action(async (opts: { demo?: boolean }) => {
      try {
        await serve(opts);
      } catch (e) {
        stderrLog(`error: ${(e as Error).message}`);
        process.exit(1);
      }
    });

  program
    .command('db:migrate')
    .description('apply pending database migrations')
    .option('--json', 'print a one-line JSON summary last')
    .action((opts: { json?: boolean }) =>
      run(!!opts.json, async () => {
        const rt = await openRuntime({ migrate: false });
        return closing(rt, async () => ({ applied: await runMigrations(rt.db.url) }));
      }),
    );

  program
    .command('import')
    .description('import catalog and events: --online-retail, or generic --items / --events (NDJSON or CSV)')
    .option('--online-retail <file>', 'the UCI Online Retail file (.csv or .csv.gz)')
    .option('--items <file>', 'items, NDJSON (one Item per line) or CSV with a header row')
    .option('--events <file>', 'events, NDJSON (one Event per line) or CSV with a header row')
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { onlineRetail?: string; items?: string; events?: string; json?: boolean }) =>
      run(!!opts.json, async () => {
        if (!opts.onlineRetail && !opts.items && !opts.events) {
          throw new Error('import needs --online-retail <file>, --items <file> and/or --events <file>');
        }
        const rt = await openRuntime();
        const bar = terminalProgress(!opts.json);
        return closing(rt, () =>
          withContext(rt, async (ctx) => {
            const svc = ctx.get(ImportService);
            const parts: ImportSummary[] = [];
            try {
              if (opts.onlineRetail) parts.push(await svc.onlineRetail(opts.onlineRetail, bar.update));
              if (opts.items) parts.push(await svc.items(opts.items, bar.update));
              if (opts.events) parts.push(await svc.eventsFile(opts.events, bar.update));
            } finally {
              bar.stop();
            }
            // New purchases: a server (this command does not run jobs) rebuilds the co-purchase neighbours.
            if (parts.some((p) => p.events.accepted > 0)) await ctx.get(CopurchaseJob).enqueueIfIdle();
            return parts.reduce<Record<string, unknown>>(
              (acc, p) => {
                const a = acc as {
                  items: ImportSummary['items'];
                  events: ImportSummary['events'];
                  seconds: number;
                };
                a.items.upserted += p.items.upserted;
                a.items.unchanged += p.items.unchanged;
                a.events.accepted += p.events.accepted;
                a.events.duplicates += p.events.duplicates;
                a.seconds += p.seconds;
                return acc;
              },
              { items: { upserted: 0, unchanged: 0 }, events: { accepted: 0, duplicates: 0 }, seconds: 0 },
            );
          }),
        );
      }),
    );

  program
    .command('model:prepare')
    .description('build the built-in offline encoder folder under DATA_DIR (idempotent, checksum-verified)')
    .option('--json', 'print a one-line JSON summary last')
    .action((opts: { json?: boolean }) =>
      run(!!opts.json, async () => {
        const config = loadConfig();
        const started = Date.now();
        const dir = await new EncoderProvider(config).prepare((m) => stderrLog(m));
        return { model: dir, seconds: (Date.now() - started) / 1000 };
      }),
    );

  program
    .command('reindex')
    .description('embed new/changed items (all with --full), rebuild the vector index and publish it')
    .option('--full', 're-embed every item')
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { full?: boolean; json?: boolean }) =>
      run(!!opts.json, async () => {
        const rt = await openRuntime();
        const bar = terminalProgress(!opts.json);
        return closing(rt, () =>
          withContext(rt, (ctx) =>
            runJobHere(ctx.get(JobsService), REINDEX, { full: !!opts.full }, bar.update).finally(bar.stop),
          ),
        );
      }),
    );

  program
    .command('finetune')
    .description(
      'the nightly fine-tune: rebuild the co-purchase neighbours, train, gate against the active model, activate when better',
    )
    .option('--no-copurchase', 'skip the co-purchase rebuild')
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { json?: boolean; copurchase: boolean }) =>
      run(!!opts.json, async () => {
        const rt = await openRuntime();
        const bar = terminalProgress(!opts.json);
        return closing(rt, () =>
          withContext(rt, (ctx) =>
            // The job itself rebuilds the co-purchase neighbours and embeds what is missing first: the same
            // work as POST /v1/admin/finetune and FINETUNE_CRON.
            runJobHere(
              ctx.get(JobsService),
              FINETUNE,
              opts.copurchase ? {} : { copurchase: false },
              bar.update,
            ).finally(bar.stop),
          ),
        );
      }),
    );

  program
    .command('copurchase:refresh')
    .description('compute the item-to-item co-purchase neighbours from purchase events and store them')
    .option('--as-of <time>', 'count purchases before this ISO date/time only (default now)')
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { asOf?: string; json?: boolean }) =>
      run(!!opts.json, async () => {
        const asOf = opts.asOf ? new Date(opts.asOf) : undefined;
        if (asOf && Number.isNaN(asOf.getTime()))
          throw new Error('--as-of must be an ISO date or time, e.g. 2011-11-01');
        const rt = await openRuntime();
        const bar = terminalProgress(!opts.json);
        return closing(rt, () =>
          withContext(rt, (ctx) =>
            runJobHere(
              ctx.get(JobsService),
              COPURCHASE,
              asOf ? { asOf: asOf.toISOString() } : {},
              bar.update,
            ).finally(bar.stop),
          ),
        );
      }),
    );

  program
    .command('eval')
    .description(
      'offline evaluation (docs: evaluation protocol) of the engine and the baselines on Online Retail',
    )
    .requiredOption('--online-retail <file>', 'the UCI Online Retail file (.csv or .csv.gz)')
    .option(
      '--cutoff <date>',
      'split date (default 2011-11-01); an earlier one gives a validation split for tuning',
    )
    .option('--no-finetune', 'evaluate the engine without the fine-tuned projection (raw text vectors)')
    .option('--json', 'print the result as one JSON line last')
    .action(async (opts: { onlineRetail: string; cutoff?: string; finetune: boolean; json?: boolean }) => {
      try {
        const cutoff = opts.cutoff ? new Date(`${opts.cutoff}T00:00:00Z`) : undefined;
        if (cutoff && Number.isNaN(cutoff.getTime()))
          throw new Error('--cutoff must be a date like 2011-10-01');
        const rt = await openRuntime();
        const bar = terminalProgress(true);
        const out = await closing(rt, () =>
          runEval(rt, opts.onlineRetail, { cutoff, finetune: opts.finetune, progress: bar.update }).finally(
            () => bar.stop(),
          ),
        );
        process.stdout.write(`${out.table}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(out.json)}\n`);
      } catch (e) {
        stderrLog(`error: ${(e as Error).message}`);
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ ok: false, error: (e as Error).message })}\n`);
        process.exitCode = 1;
      }
    });

  program.addCommand(placementsExportCommand(run)).addCommand(placementsImportCommand(run));

  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      stderrLog(`error: ${(e as Error).message}`);
      process.exit(1);
    });
}
