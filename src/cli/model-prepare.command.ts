import { Command } from 'commander';
import { loadConfig } from '../config/config.schema';
import { EncoderProvider } from '../embeddings/encoder.provider';
import { runCommand } from './command-runner';
import { stderrLog } from './context';

/** `aisle model:prepare`: needs no database, only the configuration. */
export function modelPrepareCommand(): Command {
  return new Command('model:prepare')
    .description('build the built-in offline encoder folder under DATA_DIR (idempotent, checksum-verified)')
    .option('--json', 'print a one-line JSON summary last')
    .action((opts: { json?: boolean }) =>
      runCommand(!!opts.json, async () => {
        const config = loadConfig();
        const started = Date.now();
        const dir = await new EncoderProvider(config).prepare((m) => stderrLog(m));
        return { model: dir, seconds: (Date.now() - started) / 1000 };
      }),
    );
}
