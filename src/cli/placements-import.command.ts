import { Command } from 'commander';
import { ProblemException } from '../common/problem';
import { PlacementsService } from '../placements/placements.service';
import { runCommand, withAppContext } from './command-runner';
import { importPlacements, readJsonFile } from './placements-file';

/** `aisle placements:import <file>`: stores every placement of the file as a new revision, all or nothing. */
export function placementsImportCommand(): Command {
  return new Command('placements:import')
    .description('store every placement of a JSON file (as written by placements:export) as a new revision')
    .argument('<file>', 'the JSON file')
    .option('--json', 'print a one-line JSON summary last')
    .action((file: string, opts: { json?: boolean }) =>
      runCommand(!!opts.json, async () => {
        const data = readJsonFile(file);
        const stored = await withAppContext((ctx) =>
          importPlacements(ctx.get(PlacementsService), data).catch((e: unknown) => {
            // The problem's field list is what tells the user which rule of which placement is wrong.
            if (e instanceof ProblemException) {
              const body = e.getResponse() as { errors?: Array<{ path: string; message: string }> };
              const list = (body.errors ?? []).map((x) => `${x.path}: ${x.message}`).join('; ');
              throw new Error(`${e.message} ${list}`);
            }
            throw e;
          }),
        );
        return { imported: stored.length, placements: stored };
      }),
    );
}
