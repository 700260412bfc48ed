import * as fs from 'node:fs';
import { validationProblem } from '../common/problem';
import { zodErrors } from '../common/validation';
import {
  definitionOf,
  placementFileSchema,
  type PlacementDefinition,
} from '../placements/dto/placement.schema';
import type { PlacementsService } from '../placements/placements.service';

/** The name revisions written by the command line carry (there is no API key there). */
export const CLI_AUTHOR = 'cli';

/**
 * Every placement as a file that `placements:import` reads back: `{ "placements": [{ id, kind, … }] }`,
 * ordered by id and without revision bookkeeping, so that it diffs cleanly in git.
 */
export async function exportPlacements(svc: PlacementsService): Promise<{ placements: unknown[] }> {
  const list = await svc.list();
  return {
    placements: list.map((p) => ({ id: p.id, ...definitionOf({ ...p }) })),
  };
}

/** Validates the whole file first (a bad entry → nothing stored), then stores each as a new revision. */
export async function importPlacements(
  svc: PlacementsService,
  file: unknown,
  by = CLI_AUTHOR,
): Promise<Array<{ id: string; revision: number }>> {
  const parsed = placementFileSchema.safeParse(file);
  if (!parsed.success)
    throw validationProblem(
      zodErrors(parsed.error).map((e) => ({
        ...e,
        path: `placements${e.path.startsWith('[') ? '' : '.'}${e.path}`,
      })),
    );
  const entries = parsed.data.placements.map((entry) => ({
    id: entry.id,
    definition: definitionOf(entry) as PlacementDefinition,
  }));
  const ids = entries.map((e) => e.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw validationProblem([{ path: 'placements', message: `placement "${dup}" appears twice` }]);
  const stored = await svc.importAll(entries, by);
  return stored.map((p) => ({ id: p.id, revision: p.revision }));
}

export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}
