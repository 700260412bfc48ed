import { Command } from 'commander';
import { COPURCHASE } from '../copurchase/copurchase.job';
import { JobsService } from '../jobs/jobs.service';
import { runCommand, withAppContext } from './command-runner';
import { terminalProgress } from './progress';
import { runJobHere } from './run-job-here';

/** `aisle copurchase:refresh`: the co-purchase job, run in this process, optionally as of a past time. */
export function copurchaseRefreshCommand(): Command {
  return new Command('copurchase:refresh')
    .description('compute the item-to-item co-purchase neighbours from purchase events and store them')
    .option('--as-of <time>', 'count purchases before this ISO date/time only (default now)')
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { asOf?: string; json?: boolean }) =>
      runCommand(!!opts.json, () => {
        const asOf = opts.asOf ? new Date(opts.asOf) : undefined;
        if (asOf && Number.isNaN(asOf.getTime()))
          throw new Error('--as-of must be an ISO date or time, e.g. 2011-11-01');
        const bar = terminalProgress(!opts.json);
        return withAppContext((ctx) =>
          runJobHere(ctx.get(JobsService), COPURCHASE, asOf ? { asOf: asOf.toISOString() } : {}, bar.update),
        ).finally(bar.stop);
      }),
    );
}
