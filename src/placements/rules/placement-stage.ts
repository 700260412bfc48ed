import type { ItemDocument } from '../../ranking/item-condition';
import { stageDepth, type ListStage, type StageEntry } from '../../ranking/list-stage';
import {
  applyRules,
  isActive,
  nextBoundary,
  type CompiledRule,
  type StageCandidate,
  type StageResult,
} from '../../ranking/rules-stage';

export interface PlacementStageInput {
  /** The rule set, conditions memoised for the current item documents. */
  rules: readonly CompiledRule[];
  /** Names the rule set in cache keys (one per compiled rule set: a placement revision, a variant's rules). */
  rulesId: string;
  /** The context item (`when` conditions) and the context items the page never shows, as a key. */
  contextItem: ItemDocument | undefined;
  contextKey: string;
  now: number;
  /** The item's document when the page may show it (page filters, context, deleted); else undefined. */
  docOf: (id: string) => ItemDocument | undefined;
  /** The item documents' generation: lists made under the rules are stale after any catalog change. */
  generation: number;
  /** False for drafts (previews): lists made with them are not cached. */
  cacheable: boolean;
}

/**
 * A placement's rules bound to one request, as the ranking core's stage; undefined when no rule is in force
 * (the list is then the engine's own, cached and warmed as such; the key changes when a window opens).
 */
export function placementStage(input: PlacementStageInput): ListStage | undefined {
  const context = { item: input.contextItem, now: input.now };
  const active = input.rules.filter((r) => isActive(r, context));
  if (active.length === 0) return undefined;
  const deep = active.some((r) => r.action !== 'pin');
  const pins = active.flatMap((r) => (r.action === 'pin' ? (r.itemIds ?? []) : []));
  const filters = active.filter((r) => r.action === 'filter' && r.match);
  const { docOf } = input;
  return {
    key: input.cacheable
      ? `${input.rulesId}|${input.contextKey}|${active.map((r) => r.key).join(',')}`
      : undefined,
    inputs: [input.generation],
    expiresAt: nextBoundary(input.rules, input.now),
    deep,
    depth: (limit) => stageDepth(limit, deep, pins.length),
    admits: (id) => {
      const doc = docOf(id);
      return doc !== undefined && !filters.some((f) => f.match!(doc));
    },
    apply<T>(candidates: ReadonlyArray<StageEntry<T>>, limit: number, below: number): StageResult<T> {
      const staged: Array<StageCandidate<T>> = [];
      for (const c of candidates) {
        const doc = docOf(c.id);
        if (doc) staged.push({ id: c.id, score: c.score, doc, data: c.data });
      }
      const pinnable: Array<StageCandidate<T>> = [];
      for (const id of pins) {
        const doc = docOf(id);
        if (doc) pinnable.push({ id, score: 0, doc });
      }
      return applyRules({ candidates: staged, pinnable, rules: active, context, limit, below });
    },
  };
}
