import type { BlendWeights } from '../recommendations/blend';
import { InteractionModel } from '../recommendations/interaction-model';
import {
  HISTORY_CAP,
  KNN_CANDIDATES,
  POPULAR_CANDIDATES,
  VECTOR_CANDIDATES,
} from '../recommendations/recommendations.service';
import { tuneBlend, type BlendCase } from './blend-tuning';
import { contextWeight, type Interaction } from './model/training-pairs';

const DAY_MS = 86_400_000;

/** Everything the gate needs to score one model on the validation baskets; plain data, so it can cross threads. */
export interface GateInput {
  /** Validation baskets: each user's first basket in the window. */
  users: Array<{ userId: string; targets: Set<string> }>;
  /** Unit item vectors of the model, row-major itemIds.length × dim. */
  projected: Float32Array;
  dim: number;
  tau: number;
  itemIds: string[];
  /** Purchases before the validation window. */
  history: Interaction[];
  /** Start of the validation window: the moment every list is asked at. */
  at: Date;
  halfLifeDays: number;
}

export interface GateResult {
  weights: BlendWeights;
  discoveryWeights: BlendWeights;
  /** Mean of the next-basket and discovery NDCG@10 with the tuned weights. */
  ndcg: number;
}

/**
 * Tunes the blend for one model's item vectors on the validation baskets and returns its weights and
 * validation NDCG@10 — the number the gate compares. Candidates and features are gathered exactly as
 * RecommendationsService.forUser gathers them.
 */
export function tuneForModel(input: GateInput): GateResult {
  const { users, projected, dim, tau, itemIds, history, at, halfLifeDays } = input;
  const model = InteractionModel.fromPairs(
    aggregate(history).map((p) => ({ userId: p.userId, itemId: p.itemId, rows: p.rows, lastAt: p.lastAt })),
    at,
  );
  const byUser = new Map<string, Interaction[]>();
  for (const e of history) {
    const l = byUser.get(e.userId);
    if (l) l.push(e);
    else byUser.set(e.userId, [e]);
  }
  const row = new Map(itemIds.map((id, i) => [id, i]));
  const cases: BlendCase[] = [];
  const discovery: BlendCase[] = [];
  for (const u of users) {
    // The same history cap as the service (most weighted items first).
    const own = aggregate(byUser.get(u.userId) ?? [])
      .map((p) => ({
        ...p,
        w: contextWeight(p.rows, at.getTime() - p.lastAt.getTime(), 1, halfLifeDays),
      }))
      .sort((a, b) => b.w - a.w || b.rows - a.rows)
      .slice(0, HISTORY_CAP);
    if (own.length === 0) continue;
    const ctx = new Float32Array(dim);
    for (const p of own) {
      const r = row.get(p.itemId);
      if (r === undefined) continue;
      const w = contextWeight(p.rows, at.getTime() - p.lastAt.getTime(), 1, halfLifeDays);
      for (let j = 0; j < dim; j++) ctx[j] += w * projected[r * dim + j];
    }
    let nn = 0;
    for (let j = 0; j < dim; j++) nn += ctx[j] * ctx[j];
    nn = Math.sqrt(nn) || 1;
    // Candidates as the service gathers them: vector neighbours, co-purchase neighbours, own items, popular, trending.
    const cos = new Float32Array(itemIds.length);
    for (let i = 0; i < itemIds.length; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += ctx[j] * projected[i * dim + j];
      cos[i] = s / nn;
    }
    const knn = new Map<string, number>();
    for (const p of own)
      for (const [id, sim] of model.neighbours(p.itemId)) knn.set(id, (knn.get(id) ?? 0) + sim);
    const knnRanked = [...knn.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const ownRows = new Map(own.map((p) => [p.itemId, p]));
    const byCosAll = [...cos.keys()].sort((a, b) => cos[b] - cos[a] || a - b);
    /**
     * The candidates forUser gathers under a rule: the top vector neighbours that pass it, the user's own
     * purchases (unless discovery), popular and trending items that pass, then the strongest co-purchase-only neighbours.
     */
    const gather = (discovery: boolean): string[] => {
      const passes = (id: string) => row.has(id) && !(discovery && ownRows.has(id));
      const set = new Set<string>();
      for (const i of byCosAll) {
        if (set.size >= VECTOR_CANDIDATES) break;
        if (passes(itemIds[i])) set.add(itemIds[i]);
      }
      if (!discovery) for (const p of own) if (row.has(p.itemId)) set.add(p.itemId);
      for (const shelf of [model.popular, model.trending]) {
        let added = 0;
        for (const id of shelf) {
          if (added >= POPULAR_CANDIDATES) break;
          if (passes(id)) {
            set.add(id);
            added += 1;
          }
        }
      }
      let kept = 0;
      for (const [id] of knnRanked) {
        if (kept >= KNN_CANDIDATES) break;
        if (set.has(id) || !passes(id)) continue;
        set.add(id);
        kept += 1;
      }
      return [...set];
    };
    const features = (ids: string[], withRepeat: boolean) => ({
      ids,
      cos: Float32Array.from(ids, (id) => cos[row.get(id)!] / tau),
      logPop: Float32Array.from(ids, (id) => Math.log1p(model.buyersOf(id))),
      logTrend: Float32Array.from(ids, (id) => Math.log1p(model.recentBuyersOf(id))),
      knn: Float32Array.from(ids, (id) => knn.get(id) ?? 0),
      repeat: Float32Array.from(ids, (id) => {
        const p = withRepeat ? ownRows.get(id) : undefined;
        if (!p) return 0;
        const recency = Math.pow(2, -(at.getTime() - p.lastAt.getTime()) / (60 * DAY_MS));
        return Math.log1p(p.rows) * (0.5 + 0.5 * recency);
      }),
      reorder: Float32Array.from(ids, (id) => (withRepeat && ownRows.has(id) ? model.reorderRate(id) : 0)),
      isNew: Uint8Array.from(ids, (id) => (model.buyersOf(id) === 0 ? 1 : 0)),
    });
    cases.push({ ...features(gather(false), true), targets: u.targets });
    // The same basket for discovery lists (excludePurchased): own items are neither candidates nor targets.
    const targets = new Set([...u.targets].filter((id) => !ownRows.has(id)));
    if (targets.size > 0) discovery.push({ ...features(gather(true), false), targets });
  }
  // cos is already divided by τ above, so its weight starts at 1 (the prototype's cos/τ + β·log-pop).
  const nb = tuneBlend(cases, { cos: 1, pop: 1, trend: 0, knn: 1, repeat: 3, reorder: 0, newItem: 3 });
  const disc = tuneBlend(discovery, { ...nb.weights, repeat: 0, reorder: 0 });
  // Cold start: a never-sold item is scored as if it had the median item's buyers. The validation window
  // rarely contains new items, so tuning alone would bury them (log(1 + 0) = 0 under the popularity term).
  const sold = [...model.buyers.values()].filter((b) => b > 0).sort((a, b) => a - b);
  const medianLogPop = sold.length ? Math.log1p(sold[Math.floor(sold.length / 2)]) : 0;
  // Likewise for the trending term: a new arrival counts as much as the median item selling lately, or the
  // trend weight alone would bury every new item under this month's sellers.
  const selling = [...model.recentBuyers.values()].filter((b) => b > 0).sort((a, b) => a - b);
  const medianLogTrend = selling.length ? Math.log1p(selling[Math.floor(selling.length / 2)]) : 0;
  const withPrior = (w: BlendWeights): BlendWeights => ({
    ...w,
    cos: w.cos / tau,
    newItem: Math.max(w.newItem, w.pop * medianLogPop + w.trend * medianLogTrend),
  });
  return {
    weights: withPrior(nb.weights),
    discoveryWeights: withPrior(disc.weights),
    ndcg: (nb.ndcg + disc.ndcg) / 2,
  };
}

function aggregate(
  events: Interaction[],
): Array<{ userId: string; itemId: string; rows: number; lastAt: Date }> {
  const m = new Map<string, { userId: string; itemId: string; rows: number; lastAt: Date }>();
  for (const e of events) {
    const k = `${e.userId}\u0000${e.itemId}`;
    const p = m.get(k);
    if (p) {
      p.rows += 1;
      if (e.timestamp > p.lastAt) p.lastAt = e.timestamp;
    } else m.set(k, { userId: e.userId, itemId: e.itemId, rows: 1, lastAt: e.timestamp });
  }
  return [...m.values()];
}
