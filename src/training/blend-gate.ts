import { dot } from '../common/vectors';
import type { BlendWeights } from '../ranking/blend';
import { tuneBlend, type BlendCase } from '../ranking/blend-tuning';
import {
  blendLeavesSourcesOut,
  CANDIDATE_LIMITS,
  gatherCandidates,
  rankingHistory,
  type HistoryItem,
  type NearestHit,
  type RankingSources,
} from '../ranking/candidates';
import type { BuyerWeighting } from '../ranking/item-knn';
import { NeighbourLists, type NeighbourListsWire } from '../ranking/neighbour-lists';
import { NewArrivalPool } from '../ranking/new-arrival-source';
import { newArrivalPlaces } from '../ranking/new-arrivals';
import { PurchaseSignals, TRENDING_DAYS, type BuyerCountColumns } from '../ranking/purchase-signals';
import { rankForList } from '../ranking/personalised-ranking';
import { ndcgAtK } from '../ranking/ranking-metrics';
import type { SessionBlend } from '../ranking/session-ranking';
import { topK } from '../ranking/top-k';
import { basketsByUser, buildTransitions } from '../ranking/transitions';
import { contextWeight, type Interaction } from './model/training-pairs';
import { tuneSimilarForModel, type SimilarGateResult } from './similar-gate';
import { tuneSessions, type SessionValidationCase } from './session-gate';

const K = 10;

/** Everything the gate needs to score one model on the validation baskets; plain data, so it can cross threads. */
export interface GateInput {
  /** Validation baskets: each user's first basket in the window. */
  users: Array<{ userId: string; targets: Set<string> }>;
  /** Unit item vectors of the model, row-major itemIds.length × dim. */
  projected: Float32Array;
  dim: number;
  tau: number;
  itemIds: string[];
  /** What the purchases before the validation window teach (gateSignals): the same for every model gated. */
  signals: GateSignals;
  /** The validation users' purchases before the window, in the order the history holds them. */
  histories: Array<[userId: string, purchases: Interaction[]]>;
  /** Session cases from inside the window (session-gate.ts windowSessionCases); the session kind only. */
  windowSessions?: SessionValidationCase[];
  /** Next-step cases inside the window's visits (session-gate.ts visitSessionCases); the session kind only. */
  visitSessions?: SessionValidationCase[];
  /** Start of the validation window: the moment every list is asked at. */
  at: Date;
  halfLifeDays: number;
  /** The served lists' settings the gate ranks with (RECS_REPEAT_HALF_LIFE_DAYS, RECS_NEW_ITEM_SLOTS, _SHARE). */
  repeatHalfLifeDays: number;
  newItemSlots: number;
  newItemShare: number;
  /** When each of `itemIds` went on sale (epoch ms; NaN: unknown) and NEW_ARRIVAL_DAYS: new arrivals as served. */
  availableFrom: Float64Array;
  newArrivalDays: number;
}

export interface GateResult {
  weights: BlendWeights;
  discoveryWeights: BlendWeights;
  /**
   * Mean of the next-basket and discovery NDCG@10 of the lists serving would give the validation users with
   * the returned weights: the number the gate compares.
   */
  ndcg: number;
  /** The similar kind (GET /v1/items/:id/similar), tuned and reported beside; it does not decide the gate. */
  similar: SimilarGateResult;
  /** The session blend tuned on the validation users' sessions (session-gate.ts). */
  sessionWeights: SessionBlend;
  /** NDCG@10 of the session lists serving would give them with sessionWeights: reported, not compared. */
  sessionNdcg: number;
  sessionCases: number;
}

/** Exact nearest neighbours over the model's item vectors: the gate can afford a full scan, serving cannot. */
export function exactNearest(
  projected: Float32Array,
  dim: number,
  itemIds: readonly string[],
): RankingSources['nearest'] {
  const scores = new Float64Array(itemIds.length);
  return (v, k, pass): NearestHit[] => {
    for (let i = 0; i < itemIds.length; i++) scores[i] = dot(v, projected.subarray(i * dim, (i + 1) * dim));
    const before = (a: number, b: number) => scores[a] > scores[b] || (scores[a] === scores[b] && a < b);
    return Array.from(
      topK(itemIds.length, k, before, (i) => !pass(itemIds[i])),
      (i) => ({
        id: itemIds[i],
        score: scores[i],
      }),
    );
  };
}

/** The purchase signals every model is gated with, as plain data for the gate's threads (GateInput.signals). */
export interface GateSignals {
  counts: BuyerCountColumns;
  lists: NeighbourListsWire;
  transitions: NeighbourListsWire;
  asOf: number;
}

/**
 * What the purchases before the validation window teach, as serving would learn it at the window's start:
 * popularity and trending, co-purchase neighbours (`buyers`: COPURCHASE_BUYER_DAMPING and _MAX_BUYER_ITEMS, as
 * the co-purchase job weighs them) and transitions. It does not depend on the model, so the job builds it once
 * and every model's gate reads the same (a large shop's history is gigabytes as objects in each thread).
 */
export function gateSignals(history: readonly Interaction[], at: Date, buyers: BuyerWeighting): GateSignals {
  const transitions = NeighbourLists.fromKnn(
    buildTransitions(
      basketsByUser(
        history.map((e) => ({
          userId: e.userId,
          itemId: e.itemId,
          at: e.timestamp,
          single: e.single,
          sessionId: e.sessionId,
        })),
      ).values(),
    ),
  );
  const model = PurchaseSignals.fromPairs(
    aggregate(history).map((p) => ({ userId: p.userId, itemId: p.itemId, rows: p.rows, lastAt: p.lastAt })),
    at,
    TRENDING_DAYS,
    transitions,
    buyers,
  );
  const parts = model.parts();
  return {
    counts: parts.counts,
    lists: parts.lists.toWire(),
    transitions: parts.transitions.toWire(),
    asOf: parts.asOf.getTime(),
  };
}

/** Each of `users`' purchases in `history`, in its order (GateInput.histories); users with none are left out. */
export function userHistories(
  history: readonly Interaction[],
  users: ReadonlyArray<{ userId: string }>,
): Array<[string, Interaction[]]> {
  const byUser = new Map<string, Interaction[]>(users.map((u) => [u.userId, []]));
  for (const e of history) byUser.get(e.userId)?.push(e);
  return [...byUser].filter(([, events]) => events.length > 0);
}

/**
 * Tunes the blend for one model's item vectors on the validation baskets and returns its weights and
 * validation NDCG@10 — the number the gate compares. Candidates, features and the ranking are the ranking
 * core's, as serving calls it; only the neighbour search differs (exact here, HNSW when serving) and the
 * history holds purchases only.
 */
export function tuneForModel(input: GateInput): GateResult {
  const { users, projected, dim, tau, itemIds, at, halfLifeDays } = input;
  const model = new PurchaseSignals(
    input.signals.counts,
    NeighbourLists.fromWire(input.signals.lists),
    new Date(input.signals.asOf),
    NeighbourLists.fromWire(input.signals.transitions),
  );
  const byUser = new Map(input.histories);
  const row = new Map(itemIds.map((id, i) => [id, i]));
  // The items that can be new arrivals, as serving keeps them (ServedNewArrivals), for any moment asked.
  const newArrivalPool = NewArrivalPool.build(
    itemIds.map((id, i) => [id, { availableFrom: input.availableFrom[i] }] as const),
    (id) => model.buyersOf(id) > 0,
    input.newArrivalDays,
    at.getTime(),
    Infinity,
  );
  const sources: RankingSources = {
    signals: model,
    vectorOf: (id) => {
      const r = row.get(id);
      return r === undefined ? undefined : projected.subarray(r * dim, (r + 1) * dim);
    },
    nearest: exactNearest(projected, dim, itemIds),
    repeatHalfLifeDays: input.repeatHalfLifeDays,
    // No served lists offline: the dates and sales alone decide, as serving does before any list was shown.
    newArrivals: {
      days: input.newArrivalDays,
      availableFrom: (id) => {
        const r = row.get(id);
        const t = r === undefined ? NaN : input.availableFrom[r];
        return Number.isNaN(t) ? undefined : t;
      },
    },
    newArrivalIds: (nowMs) => newArrivalPool.at(nowMs),
  };
  // Each case keeps what it was gathered from: tuning tries many blends on one candidate set gathered with
  // every source, and the tuned blends are then judged on the candidates serving gathers for them.
  type GateCase = BlendCase & { user: string; regather(w: BlendWeights): BlendCase['candidates'] };
  const cases: GateCase[] = [];
  const discovery: GateCase[] = [];
  for (const u of users) {
    const own: HistoryItem[] = aggregate(byUser.get(u.userId) ?? []).map((p) => ({
      itemId: p.itemId,
      weight: contextWeight(p.rows, at.getTime() - p.lastAt.getTime(), 1, halfLifeDays),
      purchases: p.rows,
      lastAt: p.lastAt,
    }));
    const ranked = rankingHistory(own, CANDIDATE_LIMITS.history);
    if (ranked.length === 0) continue;
    const bought = new Set(own.map((p) => p.itemId));
    const known = (id: string) => row.has(id);
    cases.push({
      user: u.userId,
      candidates: gatherCandidates(sources, ranked, at, known),
      targets: u.targets,
      regather: (w) => gatherCandidates(sources, ranked, at, known, w),
    });
    // The same basket for discovery lists (excludePurchased): own items are neither candidates nor targets.
    const targets = new Set([...u.targets].filter((id) => !bought.has(id)));
    const unbought = (id: string) => row.has(id) && !bought.has(id);
    if (targets.size > 0)
      discovery.push({
        user: u.userId,
        candidates: gatherCandidates(sources, ranked, at, unbought),
        targets,
        regather: (w) => gatherCandidates(sources, ranked, at, unbought, w),
      });
  }
  const nb = tuneBlend(cases, { cos: 1 / tau, pop: 1, trend: 0, knn: 1, repeat: 3, reorder: 0, newItem: 3 });
  const disc = tuneBlend(discovery, { ...nb.weights, repeat: 0, reorder: 0 });
  // Cold start: a never-sold item is scored as if it had the median item's buyers. The validation window
  // rarely contains new items, so tuning alone would bury them (log(1 + 0) = 0 under the popularity term).
  const sold = Array.from(model.buyersAt)
    .filter((b) => b > 0)
    .sort((a, b) => a - b);
  const medianLogPop = sold.length ? Math.log1p(sold[Math.floor(sold.length / 2)]) : 0;
  // Likewise for the trending term: a new arrival counts as much as the median item selling lately, or the
  // trend weight alone would bury every new item under this month's sellers.
  const selling = Array.from(model.recentBuyersAt)
    .filter((b) => b > 0)
    .sort((a, b) => a - b);
  const medianLogTrend = selling.length ? Math.log1p(selling[Math.floor(selling.length / 2)]) : 0;
  const withPrior = (w: BlendWeights): BlendWeights => ({
    ...w,
    newItem: Math.max(w.newItem, w.pop * medianLogPop + w.trend * medianLogTrend),
  });
  const weights = withPrior(nb.weights);
  const discoveryWeights = withPrior(disc.weights);
  // Judged as served: the weights with the prior, the candidates gathered for them, and discovery lists with
  // their new-arrival places (in the share of users that keeps them on the window's first day).
  const served = (cs: readonly GateCase[], w: BlendWeights, newItemSlots: number) =>
    cs.length === 0
      ? 0
      : cs.reduce((s, c) => {
          const set = blendLeavesSourcesOut(w) ? c.regather(w) : c.candidates;
          const places = newArrivalPlaces(newItemSlots, input.newItemShare, c.user, at.getTime());
          const slots = rankForList(set, w, { limit: K, pool: K, newItemSlots: places });
          const ids = slots.map((i) => set.ids[i]);
          return s + ndcgAtK(ids, c.targets, K);
        }, 0) / cs.length;
  // `model` holds the transitions built above: the similar kind reads the same ones.
  const similar = tuneSimilarForModel(
    users.map((u) => u.targets),
    model,
    sources,
    (id) => row.has(id),
  );
  const sessions = tuneSessions({
    sources: { signals: model, vectorOf: sources.vectorOf, nearest: sources.nearest },
    users: users.map((u) => ({
      history: (byUser.get(u.userId) ?? [])
        .slice()
        .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime()),
      targets: u.targets,
    })),
    windowCases: input.windowSessions,
    visitCases: input.visitSessions,
    known: (id) => row.has(id),
    at,
    newArrivals: sources.newArrivals,
    newItemSlots: input.newItemSlots,
    newItemShare: input.newItemShare,
  });
  return {
    weights,
    discoveryWeights,
    similar,
    ndcg: (served(cases, weights, 0) + served(discovery, discoveryWeights, input.newItemSlots)) / 2,
    sessionWeights: sessions.weights,
    sessionNdcg: sessions.ndcg,
    sessionCases: sessions.cases,
  };
}

function aggregate(
  events: readonly Interaction[],
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
