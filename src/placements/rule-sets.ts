import { createHash } from 'node:crypto';
import { memoizeRules, type CompiledRule } from '../ranking/rules-stage';
import type { ItemFieldsSnapshot } from './item-fields.snapshot';

/** Items whose condition results one rule set remembers (a catalog write starts the memo over). */
const CONDITION_MEMO_ITEMS = 50_000;

/** Compiled rule sets as placements serve them: their conditions memoised per item, and their names in cache keys. */
export class RuleSets {
  constructor(private readonly fields: ItemFieldsSnapshot) {}

  /** The rules with their conditions remembered per item, until the item documents change. */
  memoized(rules: readonly CompiledRule[]): readonly CompiledRule[] {
    if (rules.length === 0) return rules;
    const generation = this.fields.generation;
    const hit = this.memos.get(rules);
    if (hit && hit.generation === generation) return hit.rules;
    const memo = { generation, rules: memoizeRules(rules, CONDITION_MEMO_ITEMS) };
    this.memos.set(rules, memo);
    return memo.rules;
  }

  private readonly memos = new WeakMap<
    readonly CompiledRule[],
    { generation: number; rules: CompiledRule[] }
  >();

  /**
   * A rule set's name in cache keys: a digest of the rules as written, so a placement revision's and an
   * experiment variant's rules keep their name when compiled again (rules built without their source get one
   * name per compiled set).
   */
  id(rules: readonly CompiledRule[]): string {
    let id = this.ruleSetIds.get(rules);
    if (id === undefined) {
      id = rules.every((r) => r.source !== undefined)
        ? createHash('sha256')
            .update(rules.map((r) => r.source).join('\n'))
            .digest('base64url')
        : `set#${++this.ruleSets}`;
      this.ruleSetIds.set(rules, id);
    }
    return id;
  }

  private readonly ruleSetIds = new WeakMap<readonly CompiledRule[], string>();
  private ruleSets = 0;
}
