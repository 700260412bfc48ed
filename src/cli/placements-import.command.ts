import { Command } from 'commander';
import { ProblemException } from '../common/problem';
import { PlacementsService } from '../placements/placements.service';
import { openRuntime, withContext } from './context';
import { importPlacements, readJsonFile } from './placements-file';

/** How cli.ts runs a command: exit code and the --json summary line. */
export type CommandRunner = (json: boolean, fn: () => Promise<Record<string, unknown>>) => Promise<void>;

/** `aisle placements:import <file>`: stores every placement of the file as a new revision, all or nothing. */
export function placementsImportCommand(run: CommandRunner): Command {
  return new Command('placements:import')
    .description('store every placement of a JSON file (as written by placements:export) as a new revision')
    .argument('<file>', 'the JSON file')
    .option('--json', 'print a one-line JSON summary last')
    .action((file: string, opts: { json?: boolean }) =>
      run(!!opts.json, async () => {
        const data = readJsonFile(file);
        const rt = await openRuntime();
        try {
          const stored = await withContext(rt, (ctx) =>
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
        } finally {
          await rt.db.stop();
        }
      }),
    );
}
