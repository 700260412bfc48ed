import { Command } from 'commander';
import { CopurchaseJob } from '../copurchase/copurchase.job';
import { ImportService, type ImportSummary } from '../import/import.service';
import { runCommand, withAppContext } from './command-runner';
import { terminalProgress } from './progress';

interface ImportTotals {
  items: ImportSummary['items'];
  events: ImportSummary['events'];
  seconds: number;
}

function total(parts: ImportSummary[]): ImportTotals {
  return parts.reduce<ImportTotals>(
    (a, p) => ({
      items: {
        upserted: a.items.upserted + p.items.upserted,
        unchanged: a.items.unchanged + p.items.unchanged,
      },
      events: {
        accepted: a.events.accepted + p.events.accepted,
        duplicates: a.events.duplicates + p.events.duplicates,
      },
      seconds: a.seconds + p.seconds,
    }),
    { items: { upserted: 0, unchanged: 0 }, events: { accepted: 0, duplicates: 0 }, seconds: 0 },
  );
}

/** `aisle import`: catalog and events from files, one summary for all of them. */
export function importCommand(): Command {
  return new Command('import')
    .description('import catalog and events: --online-retail, or generic --items / --events (NDJSON or CSV)')
    .option('--online-retail <file>', 'the UCI Online Retail file (.csv or .csv.gz)')
    .option('--items <file>', 'items, NDJSON (one Item per line) or CSV with a header row')
    .option('--events <file>', 'events, NDJSON (one Event per line) or CSV with a header row')
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { onlineRetail?: string; items?: string; events?: string; json?: boolean }) =>
      runCommand(!!opts.json, async () => {
        if (!opts.onlineRetail && !opts.items && !opts.events) {
          throw new Error('import needs --online-retail <file>, --items <file> and/or --events <file>');
        }
        const bar = terminalProgress(!opts.json);
        return withAppContext(async (ctx) => {
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
          return { ...total(parts) };
        });
      }),
    );
}
