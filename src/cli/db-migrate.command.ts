import { Command } from 'commander';
import { runMigrations } from '../database/database.bootstrap';
import { runCommand, withRuntime } from './command-runner';

/** `aisle db:migrate`: applies pending migrations (the runtime itself does not migrate first). */
export function dbMigrateCommand(): Command {
  return new Command('db:migrate')
    .description('apply pending database migrations')
    .option('--json', 'print a one-line JSON summary last')
    .action((opts: { json?: boolean }) =>
      runCommand(!!opts.json, () =>
        withRuntime(async (rt) => ({ applied: await runMigrations(rt.db.url) }), { migrate: false }),
      ),
    );
}
