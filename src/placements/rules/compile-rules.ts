import { compileCondition } from '../../ranking/item-condition';
import type { CompiledRule } from '../../ranking/rules-stage';
import type { Rule } from '../dto/placement.schema';

/** A rule's name in answers: its own id, else its place in the list (`rules[2]`). */
export const ruleKey = (rule: Rule, index: number): string => rule.id ?? `rules[${index}]`;

/** Validated rules → the stage's compiled form (conditions built once, windows as epoch ms). */
export function compileRules(rules: readonly Rule[]): CompiledRule[] {
  return rules.map((r, i) => ({
    key: ruleKey(r, i),
    source: JSON.stringify(r),
    action: r.action,
    match: r.match !== undefined ? compileCondition(r.match as Record<string, unknown>) : undefined,
    when: r.when !== undefined ? compileCondition(r.when as Record<string, unknown>) : undefined,
    weight: r.weight,
    itemIds: r.itemIds,
    position: r.position,
    share: r.share,
    from: r.from !== undefined ? Date.parse(r.from) : undefined,
    until: r.until !== undefined ? Date.parse(r.until) : undefined,
  }));
}
