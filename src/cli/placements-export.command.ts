import * as fs from 'node:fs';
import { Command } from 'commander';
import { PlacementsService } from '../placements/placements.service';
import { runCommand, withAppContext } from './command-runner';
import { exportPlacements } from './placements-file';

/**
 * `aisle placements:export --out <file>`: every placement as JSON, for keeping them in git. A file, not
 * stdout: stdout carries the command's summary line.
 */
export function placementsExportCommand(): Command {
  return new Command('placements:export')
    .description('write every placement (current revision) as JSON to a file')
    .requiredOption('--out <file>', 'the file to write')
    .option('--json', 'print a one-line JSON summary last')
    .action((opts: { out: string; json?: boolean }) =>
      runCommand(!!opts.json, async () => {
        const data = await withAppContext((ctx) => exportPlacements(ctx.get(PlacementsService)));
        fs.writeFileSync(opts.out, `${JSON.stringify(data, null, 2)}\n`);
        return { exported: data.placements.length, file: opts.out };
      }),
    );
}
