import { isNewArrival, type NewArrivalRule } from '../ranking/new-arrivals';
import type { PurchaseSignals } from '../ranking/purchase-signals';
import { ndcgAtK } from '../ranking/ranking-metrics';
import {
  DEFAULT_SESSION_BLEND,
  gatherSessionCandidates,
  rankSessionList,
  sessionQuery,
  type SessionBlend,
  type SessionSources,
} from '../ranking/session-ranking';
import { tuneSessionBlend, type SessionCase } from '../ranking/session-tuning';
import type { Interaction } from './model/training-pairs';

const K = 10;

/** The most purchases a validation session holds when a shop's purchases come one at a time. */
export const VALIDATION_SESSION_ITEMS = 10;

/**
 * A validation user's session as the offline session protocol builds it: their last basket before the window
 * (one timestamp: an invoice), oldest first. When that basket is a single item (a shop whose purchases come
 * one at a time), their last VALIDATION_SESSION_ITEMS distinct purchases instead, so the session still has
 * something to go on. `history` is the user's purchases before the window in time order.
 */
export function validationSession(history: readonly Interaction[]): string[] {
  if (history.length === 0) return [];
  const lastAt = history[history.length - 1].timestamp.getTime();
  const basket = distinct(history.filter((e) => e.timestamp.getTime() === lastAt).map((e) => e.itemId));
  if (basket.length > 1) return basket;
  return distinct(history.map((e) => e.itemId)).slice(-VALIDATION_SESSION_ITEMS);
}

/** Distinct ids, each at its last position. */
function distinct(ids: readonly string[]): string[] {
  const last = new Map<string, number>();
  ids.forEach((id, i) => last.set(id, i));
  return ids.filter((id, i) => last.get(id) === i);
}

export interface SessionGateInput {
  sources: SessionSources & { signals: PurchaseSignals };
  /** Validation users: their purchases before the window (time order) and their first basket in it. */
  users: Array<{ history: readonly Interaction[]; targets: ReadonlySet<string> }>;
  /** Items that can be recommended (those with a vector). */
  known: (id: string) => boolean;
  at: Date;
  newArrivals: NewArrivalRule;
  newItemSlots: number;
}

/**
 * The session kind of the gate: each validation user's session (validationSession) asked at the window's
 * start, the next basket's items not in the session as targets. Tunes the session blend on them and returns
 * it with the NDCG@10 of the lists serving would give (new-arrival places included).
 */
export function tuneSessions(input: SessionGateInput): {
  weights: SessionBlend;
  ndcg: number;
  cases: number;
} {
  const { sources, at } = input;
  const cases: SessionCase[] = [];
  for (const u of input.users) {
    const session = validationSession(u.history).filter(input.known);
    if (session.length === 0) continue;
    const inSession = new Set(session);
    const targets = new Set([...u.targets].filter((id) => !inSession.has(id)));
    if (targets.size === 0) continue;
    const vectors = session.map((id) => sources.vectorOf(id)).filter((v): v is Float32Array => !!v);
    const candidates = gatherSessionCandidates(
      sources,
      session,
      sessionQuery(vectors),
      (id) => input.known(id) && !inSession.has(id),
    );
    cases.push({ candidates, targets });
  }
  const tuned = tuneSessionBlend(cases, DEFAULT_SESSION_BLEND, K);
  const nowMs = at.getTime();
  const signals = sources.signals;
  let sum = 0;
  for (const c of cases) {
    const set = c.candidates;
    const isNew = (i: number) =>
      isNewArrival(input.newArrivals, set.ids[i], signals.buyersOf(set.ids[i]), nowMs);
    const slots = rankSessionList(
      set,
      tuned.weights,
      { limit: K, pool: K, newItemSlots: input.newItemSlots },
      isNew,
    );
    sum += ndcgAtK(
      slots.map((i) => set.ids[i]),
      c.targets,
      K,
    );
  }
  return { weights: tuned.weights, ndcg: cases.length ? sum / cases.length : 0, cases: cases.length };
}
