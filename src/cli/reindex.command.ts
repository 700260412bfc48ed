import { Command } from 'commander';
import { JobsService } from '../jobs/jobs.service';
import { REINDEX } from '../vector-index/reindex.job';
import { runCommand, withAppContext } from './command-runner';
import { terminalProgress } from './progress';
import { runJobHere } from './run-job-here';

/** `aisle reindex`: the reindex job, run in this process. */
export function reindexCommand(): Command {
  return new Command('reindex')
    .description('embed new/changed items (all with --full), rebuild the vector index and publish it')
    .option('--full', 're-embed every item')
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { full?: boolean; json?: boolean }) =>
      runCommand(!!opts.json, () => {
        const bar = terminalProgress(!opts.json);
        return withAppContext((ctx) =>
          runJobHere(ctx.get(JobsService), REINDEX, { full: !!opts.full }, bar.update),
        ).finally(bar.stop);
      }),
    );
}
