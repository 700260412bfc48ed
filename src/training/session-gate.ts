import { isNewArrival, newArrivalPlaces, type NewArrivalRule } from '../ranking/new-arrivals';
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

/** Steps of one shopper further apart than this belong to different visits (the usual web-analytics cut). */
export const VISIT_GAP_MS = 30 * 60 * 1000;

/** Below this many next-step cases inside visits the gate leaves them out (visitSessionCases). */
export const MIN_VISIT_CASES = 300;

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
  const out: SessionValidationCase[] = [];
  for (const events of eachUsersEvents(purchases)) {
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

/**
 * The window's next-step cases inside one visit: the public session benchmarks' task ("up to 10 items, predict
 * the next") and what a cart or a session list is asked most. A shopper's learned events in the window are cut
 * into visits (by their sessionId where both steps carry one, else where VISIT_GAP_MS passes between steps);
 * a step is one instant (an order's lines, or events sent at one time). For every step after a visit's first,
 * the session is the visit's distinct items before it (the last VALIDATION_SESSION_ITEMS) and the targets are the
 * step's items not in it. The cases of validationSession and windowSessionCases reach across visits (the last
 * basket, then the next one), where the next item of the same visit follows from its last items far more
 * closely: a blend tuned only on those under-weights the "after A, B" of the last item a shopper looked at.
 * A shop of baskets bought one visit at a time has almost none of these; a clickstream has many.
 */
export function visitSessionCases(purchases: readonly Interaction[], start: Date): SessionValidationCase[] {
  const startMs = start.getTime();
  const out: SessionValidationCase[] = [];
  for (const events of eachUsersEvents(purchases.filter((e) => e.timestamp.getTime() >= startMs))) {
    if (events.length < 2) continue;
    // Stable: events at one instant keep the order they came in (steps sent without times).
    const ordered = events.slice().sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    let visit: string[][] = [];
    let prev: Interaction | undefined;
    const closeVisit = () => {
      for (let k = 1; k < visit.length; k++) {
        const session = distinct(visit.slice(0, k).flat()).slice(-VALIDATION_SESSION_ITEMS);
        const inSession = new Set(session);
        const targets = distinct(visit[k].filter((id) => !inSession.has(id)));
        if (targets.length > 0) out.push({ session, targets });
      }
      visit = [];
    };
    for (const e of ordered) {
      const t = e.timestamp.getTime();
      if (prev) {
        const newVisit =
          prev.sessionId !== undefined && e.sessionId !== undefined
            ? prev.sessionId !== e.sessionId
            : t - prev.timestamp.getTime() > VISIT_GAP_MS;
        if (newVisit) closeVisit();
      }
      // Steps at one instant are one step, `single` ones too: which came first is not known (a batch sent
      // without times, reviews dated by the day), so none is the next of another.
      const sameStep = prev !== undefined && prev.timestamp.getTime() === t && visit.length > 0;
      if (sameStep) visit[visit.length - 1].push(e.itemId);
      else visit.push([e.itemId]);
      prev = e;
    }
    closeVisit();
  }
  return out;
}

/** Each user's events in the order given, users in id order (so a sample of the cases is stable). */
function eachUsersEvents(events: readonly Interaction[]): Interaction[][] {
  const byUser = new Map<string, Interaction[]>();
  for (const e of events) {
    const list = byUser.get(e.userId);
    if (list) list.push(e);
    else byUser.set(e.userId, [e]);
  }
  return [...byUser.keys()].sort().map((userId) => byUser.get(userId)!);
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
  /** The window's next-step cases inside one visit (visitSessionCases), tuned on from MIN_VISIT_CASES of them. */
  visitCases?: readonly SessionValidationCase[];
  /** Items that can be recommended (those with a vector). */
  known: (id: string) => boolean;
  at: Date;
  newArrivals: NewArrivalRule;
  newItemSlots: number;
  /** RECS_NEW_ITEM_SHARE: the share of sessions whose lists keep the places (newArrivalPlaces). */
  newItemShare: number;
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
  // Each case's cart as serving keys it (newArrivalPlaces).
  const carts: string[] = [];
  // Each case as asked, to gather it again as serving would once the blend is tuned.
  const askedCases: Array<{
    session: string[];
    query: Float32Array | undefined;
    pass: (id: string) => boolean;
  }> = [];
  const add = (asked: readonly SessionValidationCase[]) => {
    for (const c of asked) {
      const session = c.session.filter(input.known);
      if (session.length === 0) continue;
      const inSession = new Set(session);
      const targets = new Set(c.targets.filter((id) => !inSession.has(id)));
      if (targets.size === 0) continue;
      const vectors = session.map((id) => sources.vectorOf(id)).filter((v): v is Float32Array => !!v);
      const query = sessionQuery(vectors);
      const pass = (id: string) => input.known(id) && !inSession.has(id);
      const candidates = gatherSessionCandidates(sources, session, query, pass);
      cases.push({ candidates, targets });
      carts.push(session.join('\u0000'));
      askedCases.push({ session, query, pass });
    }
  };
  add(input.users.map((u) => ({ session: validationSession(u.history), targets: [...u.targets] })));
  // The window's own cases only where few shoppers came back across the window's start: a blend tuned on a few
  // dozen sessions fits those, not the shop. Where there are enough, they tuned better alone (Online Retail: 554
  // first-basket cases gave a session NDCG@10 of 0.1179 in `aisle eval`, with the window's 126 more 0.1138).
  if (cases.length < MIN_FIRST_BASKET_CASES) add(input.windowCases ?? []);
  // The next step inside a visit, where visits give enough cases to stand for that task. A shop of baskets has a
  // few dozen (two orders within half an hour): those alone moved Online Retail's session NDCG@10 from 0.1179 to
  // 0.1131. A clickstream has far more, and they decide its blend: in `aisle eval --item-sequences`, in-visit
  // NDCG@10 0.0551 → 0.2082 (markov 0.1465), its across-visits session protocol 0.0308 → 0.0215. Weighing the
  // two kinds half each kept neither (0.2076 and 0.0205): one blend serves one task, and a session list's
  // items are the visit's own.
  const visitCases = input.visitCases ?? [];
  if (visitCases.length >= MIN_VISIT_CASES) add(visitCases);
  const tuned = tuneSessionBlend(cases, DEFAULT_SESSION_BLEND, K);
  const nowMs = at.getTime();
  const signals = sources.signals;
  // Serving selects each source's candidates by the blend it ranks with (SessionSources.selectBy): the tuned
  // blend's NDCG is taken on the sets it would serve.
  const served = { ...sources, selectBy: tuned.weights };
  let sum = 0;
  for (const [n, c] of cases.entries()) {
    const a = askedCases[n];
    const set = gatherSessionCandidates(served, a.session, a.query, a.pass);
    const isNew = (i: number) =>
      isNewArrival(input.newArrivals, set.ids[i], signals.buyersOf(set.ids[i]), nowMs);
    const slots = rankSessionList(
      set,
      tuned.weights,
      {
        limit: K,
        pool: K,
        newItemSlots: newArrivalPlaces(input.newItemSlots, input.newItemShare, carts[n], nowMs),
      },
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
