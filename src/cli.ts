import 'reflect-metadata';
import { Command } from 'commander';
import { analyticsRollupCommand } from './cli/analytics-rollup.command';
import { reportFailure } from './cli/command-runner';
import { copurchaseRefreshCommand } from './cli/copurchase-refresh.command';
import { dbMigrateCommand } from './cli/db-migrate.command';
import { evalCommand } from './cli/eval.command';
import { experimentsSimulateCommand } from './cli/experiments-simulate.command';
import { finetuneCommand } from './cli/finetune.command';
import { importCommand } from './cli/import.command';
import { jobRunCommand } from './cli/job-run.command';
import { modelPrepareCommand } from './cli/model-prepare.command';
import { placementsExportCommand } from './cli/placements-export.command';
import { placementsImportCommand } from './cli/placements-import.command';
import { reindexCommand } from './cli/reindex.command';
import { serveCommand } from './cli/serve.command';

/** The `aisle` command line: each command lives in `cli/<noun-verb>.command.ts`. */
export function buildCli(): Command {
  const program = new Command('aisle').description('Aisle retail recommendation engine').showHelpAfterError();
  for (const command of [
    serveCommand(),
    dbMigrateCommand(),
    importCommand(),
    modelPrepareCommand(),
    reindexCommand(),
    finetuneCommand(),
    copurchaseRefreshCommand(),
    evalCommand(),
    placementsExportCommand(),
    placementsImportCommand(),
    analyticsRollupCommand(),
    experimentsSimulateCommand(),
  ])
    program.addCommand(command);
  // Started by a server to run a job in a child process (FINETUNE_PROCESS=child), never by hand.
  program.addCommand(jobRunCommand(), { hidden: true });
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      reportFailure(e, false);
      process.exit(1);
    });
}
