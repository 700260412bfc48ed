import type { StageResult } from './rules-stage';

/** A ranked candidate as the stage receives it; `data` (a reason) is carried through untouched. */
export interface StageEntry<T> {
  id: string;
  score: number;
  data?: T;
}

/**
 * The merchandising rules of one request (a placement revision's compiled rules, bound to the request's
 * context item and clock): the stage the ranking core runs on every kind's scored candidates after
 * candidate generation and blending, before diversity and the final cut. Built by the caller, which owns the
 * item documents the conditions read; the core only ranks with it and keys its cached lists by it.
 */
export interface ListStage {
  /**
   * What the stage does to a list (rule set, context item, rules in force), as part of a list cache key;
   * undefined: lists made with it are not cached (previews of drafts).
   */
  readonly key: string | undefined;
  /** What else lists made with it depend on (the item documents' generation), compared by identity. */
  readonly inputs: readonly unknown[];
  /** Epoch ms of the next rule window boundary: a list made with the stage is stale from then on. */
  readonly expiresAt: number;
  /** Whether a rule reaches below the cut (filter, boost, bury, promote): the core then over-fetches. */
  readonly deep: boolean;
  /** Ranked candidates to hand the stage for a list of `limit` places. */
  depth(limit: number): number;
  /** Whether an item may be shown at all (page filters, filter rules): for items filled in after the stage. */
  admits(id: string): boolean;
  /** Runs the rules on candidates (best first), cutting to `limit` and keeping `below` more ranked ones. */
  apply<T>(candidates: ReadonlyArray<StageEntry<T>>, limit: number, below: number): StageResult<T>;
}

/** The deepest candidate list a request ranks when rules remove or re-rank items. */
export const MAX_STAGE_DEPTH = 900;

/** The first depth to try: four times the list (at least 40) when rules reach below the cut, else the pins. */
export function stageDepth(limit: number, deep: boolean, pins: number): number {
  return deep ? Math.min(MAX_STAGE_DEPTH, Math.max(limit * 4, 40)) : limit + pins;
}

/** The next depth after a list came out short. */
export const deeper = (depth: number): number => Math.min(MAX_STAGE_DEPTH, depth * 3);
