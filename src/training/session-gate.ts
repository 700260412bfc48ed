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

/** At most this many of a user's later baskets in the window become session cases (windowSessionCases). */
export const WINDOW_CASES_PER_USER = 3;

/** Below this many first-basket session cases the gate tunes the session blend on the window's cases too. */
export const MIN_FIRST_BASKET_CASES = 300;

/** A validation session and the items bought right after it. */
export interface SessionValidationCase {
  session: string[];
  targets: string[];
}

/**
 * More validation sessions from inside the window: for each user's 2nd, 3rd, … basket in it (up to `perUser`),
 * the session validationSession makes of everything they bought before that basket, and the basket minus the
 * session's items as targets. The first basket in the window is the case every validation user already gives
 * (it needs purchases before the window). A shop whose shoppers rarely come back across the window's start — a
 * clickstream of one-visit shoppers — has few of those, but every visit of two or more steps inside the window
 * is a case of exactly the task a session list serves: the items so far, the next one. `purchases` are the
 * learned events before the end of the window, of known items; users in id order, so the sample is stable.
 */
export function windowSessionCases(
  purchases: readonly Interaction[],
  start: Date,
  perUser = WINDOW_CASES_PER_USER,
): SessionValidationCase[] {
  const startMs = start.getTime();
  const byUser = new Map<string, Interaction[]>();
  for (const e of purchases) {
    const list = byUser.get(e.userId);
    if (list) list.push(e);
    else byUser.set(e.userId, [e]);
  }
  const out: SessionValidationCase[] = [];
  for (const userId of [...byUser.keys()].sort()) {
    const events = byUser.get(userId)!;
    // Most shoppers bought nothing in the window: their history is not sorted for nothing.
    if (events.filter((e) => e.timestamp.getTime() >= startMs).length < 2) continue;
    // Stable: events at one instant keep the order they came in (steps sent without times).
    const ordered = events.slice().sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    const times = distinctTimes(ordered.filter((e) => e.timestamp.getTime() >= startMs));
    for (const t of times.slice(1, 1 + perUser)) {
      const before = ordered.filter((e) => e.timestamp.getTime() < t);
      const session = validationSession(before);
      const inSession = new Set(session);
      const targets = distinct(
        ordered.filter((e) => e.timestamp.getTime() === t && !inSession.has(e.itemId)).map((e) => e.itemId),
      );
      if (session.length > 0 && targets.length > 0) out.push({ session, targets });
    }
  }
  return out;
}

function distinctTimes(ordered: readonly Interaction[]): number[] {
  const times: number[] = [];
  for (const e of ordered) {
    const t = e.timestamp.getTime();
    if (times[times.length - 1] !== t) times.push(t);
  }
  return times;
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
  /** Further cases from inside the window (windowSessionCases). */
  windowCases?: readonly SessionValidationCase[];
  /** Items that can be recommended (those with a vector). */
  known: (id: string) => boolean;
  at: Date;
  newArrivals: NewArrivalRule;
  newItemSlots: number;
}

/**
 * The session kind of the gate: each validation user's session (validationSession) asked at the window's
 * start, the next basket's items not in the session as targets, and the window's own cases
 * (windowSessionCases). Tunes the session blend on them and returns it with the NDCG@10 of the lists serving
 * would give (new-arrival places included). Every case is asked with the signals of the window's start.
 */
export function tuneSessions(input: SessionGateInput): {
  weights: SessionBlend;
  ndcg: number;
  cases: number;
} {
  const { sources, at } = input;
  const cases: SessionCase[] = [];
  const add = (asked: readonly SessionValidationCase[]) => {
    for (const c of asked) {
      const session = c.session.filter(input.known);
      if (session.length === 0) continue;
      const inSession = new Set(session);
      const targets = new Set(c.targets.filter((id) => !inSession.has(id)));
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
  };
  add(input.users.map((u) => ({ session: validationSession(u.history), targets: [...u.targets] })));
  // The window's own cases only where few shoppers came back across the window's start: a blend tuned on a few
  // dozen sessions fits those, not the shop. Where there are enough, they tuned better alone (Online Retail: 554
  // first-basket cases gave a session NDCG@10 of 0.1179 in `aisle eval`, with the window's 126 more 0.1138).
  if (cases.length < MIN_FIRST_BASKET_CASES) add(input.windowCases ?? []);
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
