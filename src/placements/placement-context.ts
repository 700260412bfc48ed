import { validationProblem } from '../common/problem';
import type { PlacementContext, PlacementKind } from './dto/placement.schema';

/** Which context each kind needs: the first name listed is the one a 400 names. */
const REQUIRED: Record<PlacementKind, ReadonlyArray<keyof PlacementContext>> = {
  'for-you': ['userId'],
  'buy-again': ['userId'],
  similar: ['itemId'],
  complements: ['itemIds', 'itemId'],
  search: ['text'],
  trending: [],
  'new-arrivals': [],
};

/** 400 naming the missing context parameter of the placement's kind. */
export function requireContext(kind: PlacementKind, context: PlacementContext): void {
  const names = REQUIRED[kind];
  if (names.length === 0) return;
  const has = (n: keyof PlacementContext) => {
    const v = context[n];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== '';
  };
  if (names.some(has)) return;
  throw validationProblem([
    {
      path: names[0],
      message:
        names.length > 1
          ? `a ${kind} placement needs ${names.join(' or ')}`
          : `a ${kind} placement needs ${names[0]}`,
    },
  ]);
}
