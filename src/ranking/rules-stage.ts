/**
 * The merchandising rules stage of a ranking: filter, boost/bury, promote, pin — applied to scored candidates
 * after candidate generation and blending, before diversity and the final cut. Pure: no clock, no I/O; the
 * caller passes `now`, the context item and the items the stage may place.
 */
import type { ItemDocument, ItemPredicate } from './item-condition';
import { reserveNewArrivalSlots } from './new-arrivals';

export type RuleAction = 'boost' | 'bury' | 'filter' | 'pin' | 'promote';

/** A rule ready to run: conditions compiled, window in epoch ms. `key` names it in answers (`rules[2]` or its id). */
export interface CompiledRule {
  key: string;
  /** The rule as written (JSON): the same rule compiled again names the same rule set in cache keys. */
  source?: string;
  action: RuleAction;
  match?: ItemPredicate;
  when?: ItemPredicate;
  weight?: number;
  itemIds?: readonly string[];
  position?: number;
  share?: number;
  from?: number;
  until?: number;
}

export interface StageCandidate<T = unknown> {
  id: string;
  score: number;
  doc: ItemDocument;
  /** Carried through untouched (reasons, records). */
  data?: T;
}

export interface StageInput<T> {
  /** Ranked best first; every one already passed the page's filters and the catalog's rules. */
  candidates: ReadonlyArray<StageCandidate<T>>;
  /** Pinned items that pass the page's filters (may overlap the candidates); pins of others are skipped. */
  pinnable: ReadonlyArray<StageCandidate<T>>;
  rules: readonly CompiledRule[];
  context: { item?: ItemDocument; now: number };
  limit: number;
  /** Ranked items to keep below the shown ones in `ranked`, for diversity to choose among (default 0). */
  below?: number;
}

export interface StagedItem<T> extends StageCandidate<T> {
  /** Keys of the rules that changed this item's score or place, in the order they acted. */
  rules: string[];
}

export interface StageResult<T> {
  items: Array<StagedItem<T>>;
  /** Keys of the rules in force for this request (window open, `when` satisfied). */
  active: string[];
  /** How many candidates each filter rule removed (only rules that removed any). */
  removed: Record<string, number>;
  /** How many candidates the stage was given. */
  candidates: number;
  /** The items not pinned, in order: the shown ones, then up to `below` more. */
  ranked: Array<StagedItem<T>>;
  /** The pinned items and their places (1-based). */
  pins: Array<{ position: number; item: StagedItem<T> }>;
}

/**
 * The first moment after `now` at which a rule's window opens or closes (Infinity: none ahead): a list made
 * under these rules is true until then.
 */
export function nextBoundary(rules: readonly CompiledRule[], now: number): number {
  let next = Infinity;
  for (const r of rules)
    for (const t of [r.from, r.until]) if (t !== undefined && t > now && t < next) next = t;
  return next;
}

/**
 * The rules with every condition remembered per item id, up to `bound` items per condition (then it starts
 * over): a rule set serves many lists of the same items, and a condition is pure in the item's document, so
 * the caller makes a new memo whenever the documents may have changed (a catalog write).
 */
export function memoizeRules(rules: readonly CompiledRule[], bound: number): CompiledRule[] {
  const memo = (p: ItemPredicate | undefined): ItemPredicate | undefined => {
    if (!p) return undefined;
    const seen = new Map<string, boolean>();
    return (doc) => {
      let v = seen.get(doc.id);
      if (v === undefined) {
        v = p(doc);
        if (seen.size >= bound) seen.clear();
        seen.set(doc.id, v);
      }
      return v;
    };
  };
  return rules.map((r) => ({ ...r, match: memo(r.match), when: memo(r.when) }));
}

/** Whether the rule is in force at `now` for this context item. A `when` rule needs a context item. */
export function isActive(rule: CompiledRule, context: { item?: ItemDocument; now: number }): boolean {
  if (rule.from !== undefined && context.now < rule.from) return false;
  if (rule.until !== undefined && context.now >= rule.until) return false;
  if (rule.when) return context.item !== undefined && rule.when(context.item);
  return true;
}

/**
 * Multiplies by the weight so that boost (> 1) always moves an item up and bury (< 1) down, whatever the
 * score's sign: a negative score is divided instead, which moves it the same way.
 */
function reweigh(score: number, weight: number): number {
  return score >= 0 ? score * weight : score / weight;
}

const withoutOrder = <T>({ order: _order, ...item }: StagedItem<T> & { order: number }): StagedItem<T> =>
  item;

/**
 * Re-ranks `candidates` under the rules and cuts to `limit`:
 * 1. `filter` removes matching items (pins included: a filtered item is never shown);
 * 2. `boost` / `bury` multiply matching items' scores by their weights, then the list is re-sorted (stable:
 *    equal scores keep their order);
 * 3. each `promote`, in rule order, reserves up to ⌊share × limit⌋ places for its best-ranked matching
 *    items, moving the missing ones from below the cut to the end of the shown part (never more than the
 *    share; as many as there are when fewer match);
 * 4. `pin` puts its `itemIds` at `position`, `position + 1`, … (1-based) when they are pinnable; the first
 *    rule to claim a place keeps it; a pin beyond the list's end lands at its end.
 */
export function applyRules<T>(input: StageInput<T>): StageResult<T> {
  const { limit, context } = input;
  const active = input.rules.filter((r) => isActive(r, context));
  const filters = active.filter((r) => r.action === 'filter' && r.match);
  const weights = active.filter((r) => (r.action === 'boost' || r.action === 'bury') && r.match);
  const promotes = active.filter((r) => r.action === 'promote' && r.match && (r.share ?? 0) > 0);
  const pins = active.filter((r) => r.action === 'pin' && r.itemIds && r.itemIds.length > 0);

  const removed: Record<string, number> = {};
  const kept = new Map<string, boolean>();
  const keep = (c: StageCandidate<T>): boolean => {
    let k = kept.get(c.id);
    if (k === undefined) {
      const by = filters.find((f) => f.match!(c.doc));
      if (by) removed[by.key] = (removed[by.key] ?? 0) + 1;
      k = !by;
      kept.set(c.id, k);
    }
    return k;
  };

  const pinnedIds = new Set(pins.flatMap((p) => p.itemIds!));
  const ranked: Array<StagedItem<T> & { order: number }> = [];
  input.candidates.forEach((c, order) => {
    if (pinnedIds.has(c.id) || !keep(c)) return;
    let score = c.score;
    const touched: string[] = [];
    for (const w of weights)
      if (w.match!(c.doc)) {
        score = reweigh(score, w.weight ?? 1);
        touched.push(w.key);
      }
    ranked.push({ ...c, score, rules: touched, order });
  });
  if (weights.length > 0) ranked.sort((a, b) => b.score - a.score || a.order - b.order);

  // Places the pins will take come out of the ranked part's share of the list.
  const pinnable = new Map(input.pinnable.map((c) => [c.id, c]));
  const candidateById = new Map(input.candidates.map((c) => [c.id, c]));
  const slots = new Map<number, StagedItem<T>>();
  const placed = new Set<string>();
  for (const p of pins)
    p.itemIds!.forEach((id, k) => {
      const pos = p.position! + k;
      const c = candidateById.get(id) ?? pinnable.get(id);
      if (!c || placed.has(id) || slots.has(pos) || pos > limit || !keep(c)) return;
      slots.set(pos, { ...c, rules: [p.key] });
      placed.add(id);
    });
  // Pinned ids not placed (a conflict, beyond the limit) compete as ordinary candidates again.
  for (const id of pinnedIds) {
    const c = candidateById.get(id);
    if (c && !placed.has(id) && keep(c)) ranked.push({ ...c, rules: [], order: input.candidates.indexOf(c) });
  }
  if (pinnedIds.size > placed.size) ranked.sort((a, b) => b.score - a.score || a.order - b.order);

  const rankedPlaces = Math.max(0, limit - slots.size);
  for (const p of promotes) {
    const quota = Math.floor((p.share ?? 0) * limit + 1e-9);
    const matches = (c: StagedItem<T>) => p.match!(c.doc);
    reserveNewArrivalSlots(ranked, rankedPlaces, Math.min(quota, rankedPlaces), matches);
    let marked = 0;
    for (let i = 0; i < Math.min(rankedPlaces, ranked.length) && marked < quota; i++)
      if (matches(ranked[i])) {
        ranked[i].rules.push(p.key);
        marked += 1;
      }
  }
  const ordered = ranked.slice(0, rankedPlaces + Math.max(0, input.below ?? 0)).map(withoutOrder);

  const out: Array<StagedItem<T>> = [];
  let next = 0;
  for (let pos = 1; pos <= limit; pos++) {
    const pinned = slots.get(pos);
    if (pinned) out.push(pinned);
    else if (next < Math.min(rankedPlaces, ordered.length)) out.push(ordered[next++]);
  }
  return {
    items: out,
    active: active.map((r) => r.key),
    removed,
    candidates: input.candidates.length,
    ranked: ordered,
    pins: [...slots].sort((a, b) => a[0] - b[0]).map(([position, item]) => ({ position, item })),
  };
}
