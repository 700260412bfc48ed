import { Command } from 'commander';
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
    .option('--json', 'print a one-line JSON summary last (and no progress bar)')
    .action((opts: { json?: boolean; copurchase: boolean }) =>
      runCommand(!!opts.json, () => {
        const bar = terminalProgress(!opts.json);
        return withAppContext((ctx) =>
          runJobHere(
            ctx.get(JobsService),
            FINETUNE,
            opts.copurchase ? {} : { copurchase: false },
            bar.update,
          ),
        ).finally(bar.stop);
      }),
    );
}
