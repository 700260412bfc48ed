import { Command, InvalidArgumentError } from 'commander';
import { JobsService } from '../jobs/jobs.service';
import { FINETUNE } from '../training/finetune.job';
import { runCommand, withAppContext } from './command-runner';
import { terminalProgress } from './progress';
import { runJobHere } from './run-job-here';

/**
 * `aisle finetune`: the job itself rebuilds the co-purchase neighbours and embeds what is missing first —
 * the same work as POST /v1/admin/finetune and FINETUNE_CRON.
 */
export function finetuneCommand(): Command {
  return new Command('finetune')
    .description(
      'the nightly fine-tune: rebuild the co-purchase neighbours, train, gate against the active model, activate when better',
    )
    .option('--no-copurchase', 'skip the co-purchase rebuild')
    .option(
      '--as-of <time>',
      'train as of this ISO-8601 time: events after it are ignored (default: the latest purchase)',
      parseAsOf,
    )
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { json?: boolean; copurchase: boolean; asOf?: Date }) =>
      runCommand(!!opts.json, () => {
        const bar = terminalProgress(!opts.json);
        return withAppContext((ctx) =>
          runJobHere(
            ctx.get(JobsService),
            FINETUNE,
            {
              ...(opts.copurchase ? {} : { copurchase: false }),
              ...(opts.asOf ? { now: opts.asOf.toISOString() } : {}),
            },
            bar.update,
          ),
        ).finally(bar.stop);
      }),
    );
}

function parseAsOf(value: string): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime()))
    throw new InvalidArgumentError('expected an ISO-8601 time such as 2011-12-01T00:00:00Z');
  return at;
}
