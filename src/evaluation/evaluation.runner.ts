import { performance } from 'node:perf_hooks';
import {
  PROTOCOLS,
  type EvaluationSplit,
  type Purchase,
  type Protocol,
  type RankingMetrics,
  type Recommender,
  type TestUser,
} from './evaluation.types';
import { MetricsAccumulator, rankingMetrics } from '../ranking/ranking-metrics';

export const DEFAULT_K = 10;

/** One test user as a protocol sees them. */
export interface ProtocolCase {
  user: TestUser;
  /** Ids the recommender must not return. */
  exclude: ReadonlySet<string>;
  targets: ReadonlySet<string>;
}

/**
 * next-basket: everything is a candidate, the whole basket is the target.
 * discovery: the user's pre-cutoff items leave both candidates and targets; users with nothing left are skipped.
 * session: the user's last pre-cutoff invoice is all a recommender sees (as `history`, an anonymous session);
 * with `sessionItems` set, their last that many distinct items instead (sequence data, where every invoice is
 * one item); the session's items leave candidates and targets; users with nothing left are skipped.
 * in-visit: the public session benchmarks' task ("up to 10 items, predict the next") inside one visit after the
 * cutoff, new customers' included: the visit's distinct items before its last one (at most IN_VISIT_ITEMS, the
 * latest) are the session, the last one is the target. Visits of fewer than two distinct items are skipped.
 */
export function protocolCases(
  split: EvaluationSplit,
  protocol: Protocol,
  sessionItems?: number,
): ProtocolCase[] {
  if (protocol === 'in-visit') return inVisitCases(split);
  const cases: ProtocolCase[] = [];
  for (const user of split.testUsers) {
    if (protocol === 'next-basket') {
      cases.push({ user, exclude: new Set(), targets: new Set(user.target) });
      continue;
    }
    if (protocol === 'session') {
      const session = sessionItems
        ? lastDistinctItems(user.history, sessionItems)
        : user.history.filter((p) => p.invoiceNo === user.history[user.history.length - 1].invoiceNo);
      const inSession = new Set(session.map((p) => p.itemId));
      const targets = new Set(user.target.filter((id) => !inSession.has(id)));
      if (targets.size > 0) cases.push({ user: { ...user, history: session }, exclude: inSession, targets });
      continue;
    }
    const owned = new Set(user.history.map((purchase) => purchase.itemId));
    const targets = new Set(user.target.filter((id) => !owned.has(id)));
    if (targets.size > 0) cases.push({ user, exclude: owned, targets });
  }
  return cases;
}

/** The longest session of the in-visit protocol. */
export const IN_VISIT_ITEMS = 10;

function inVisitCases(split: EvaluationSplit): ProtocolCase[] {
  const cases: ProtocolCase[] = [];
  for (const visit of split.testVisits) {
    // Each item at its first line: the order the shopper came to them in.
    const firstLines: Purchase[] = [];
    const seen = new Set<string>();
    for (const line of visit.lines) {
      if (seen.has(line.itemId)) continue;
      seen.add(line.itemId);
      firstLines.push(line);
    }
    if (firstLines.length < 2) continue;
    const target = firstLines[firstLines.length - 1];
    const session = firstLines.slice(Math.max(0, firstLines.length - 1 - IN_VISIT_ITEMS), -1);
    cases.push({
      user: {
        userId: `${visit.userId}/${visit.invoiceNo}`,
        history: session,
        targetInvoiceNo: visit.invoiceNo,
        targetTimestamp: target.timestamp,
        target: [target.itemId],
      },
      exclude: new Set(session.map((p) => p.itemId)),
      targets: new Set([target.itemId]),
    });
  }
  return cases;
}

/** The purchases of the last `n` distinct items, each at its latest purchase, oldest first. */
function lastDistinctItems(history: readonly Purchase[], n: number): Purchase[] {
  const picked: Purchase[] = [];
  const seen = new Set<string>();
  for (let i = history.length - 1; i >= 0 && picked.length < n; i--) {
    if (seen.has(history[i].itemId)) continue;
    seen.add(history[i].itemId);
    picked.push(history[i]);
  }
  return picked.reverse();
}

export interface MethodResult extends RankingMetrics {
  /** Hits on targets that nobody bought before the cutoff (cold items). */
  newItemHits: number;
  /** Lists holding at least one long-unsold item (EvaluateOptions.longUnsold): dead stock promoted. */
  longUnsoldLists: number;
  /** Lists holding at least one new arrival (EvaluateOptions.newArrivals): what the new-arrival places showed. */
  newArrivalLists: number;
  /** Wall time spent inside the recommender for this protocol. */
  seconds: number;
}

export interface ProtocolResult {
  users: number;
  /** Targets (summed over users) that are items with no purchase before the cutoff. */
  newItemTargets: number;
  /** How many items EvaluateOptions.longUnsold named. */
  longUnsoldItems: number;
  /** How many items EvaluateOptions.newArrivals named. */
  newArrivalItems: number;
  methods: Record<string, MethodResult>;
}

export interface EvaluationReport {
  cutoff: Date;
  k: number;
  protocols: Partial<Record<Protocol, ProtocolResult>>;
}

export interface EvaluateProgress {
  protocol: Protocol;
  method: string;
  done: number;
  total: number;
}

export interface EvaluateOptions {
  k?: number;
  protocols?: readonly Protocol[];
  /** Methods that only run in some protocols, e.g. `{ repeat: ['next-basket'] }`; others run everywhere. */
  restrictTo?: Readonly<Record<string, readonly Protocol[]>>;
  /** Items on sale for long with no sale before the cutoff (dead stock): lists holding one are counted. */
  longUnsold?: ReadonlySet<string>;
  /** Items on sale for a short time with no sale before the cutoff (new arrivals): lists holding one are counted. */
  newArrivals?: ReadonlySet<string>;
  /** The session protocol's sessions as each user's last this many distinct items (protocolCases). */
  sessionItems?: number;
  onProgress?: (progress: EvaluateProgress) => void;
}

const PROGRESS_EVERY_USERS = 100;

/**
 * Runs every recommender on every test user of every protocol. Users are awaited one at a time: the engine is
 * called through the same service the HTTP endpoint uses, and timing per method stays meaningful.
 */
export async function evaluate(
  split: EvaluationSplit,
  recommenders: Readonly<Record<string, Recommender>>,
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const k = options.k ?? DEFAULT_K;
  const protocols = options.protocols ?? PROTOCOLS;
  const knownItems = new Set(split.training.map((purchase) => purchase.itemId));
  const longUnsold = options.longUnsold ?? new Set<string>();
  const newArrivals = options.newArrivals ?? new Set<string>();
  const report: EvaluationReport = { cutoff: split.cutoff, k, protocols: {} };

  for (const protocol of protocols) {
    const cases = protocolCases(split, protocol, options.sessionItems);
    let newItemTargets = 0;
    for (const { targets } of cases) for (const id of targets) if (!knownItems.has(id)) newItemTargets++;

    const methods: Record<string, MethodResult> = {};
    for (const [method, recommend] of Object.entries(recommenders)) {
      const allowed = options.restrictTo?.[method];
      if (allowed && !allowed.includes(protocol)) continue;

      const accumulator = new MetricsAccumulator();
      let newItemHits = 0;
      let longUnsoldLists = 0;
      let newArrivalLists = 0;
      let seconds = 0;
      for (const [done, { user, exclude, targets }] of cases.entries()) {
        const started = performance.now();
        // A fresh copy per call: a recommender that mutates its arguments must not leak into the next method.
        const ranked = await recommend(
          { userId: user.userId, history: user.history.slice() },
          k,
          new Set(exclude),
        );
        seconds += (performance.now() - started) / 1000;
        assertValidList(method, user.userId, ranked, k, exclude);

        accumulator.add(rankingMetrics(ranked, targets, k));
        for (const id of ranked) if (targets.has(id) && !knownItems.has(id)) newItemHits++;
        if (ranked.some((id) => longUnsold.has(id))) longUnsoldLists++;
        if (ranked.some((id) => newArrivals.has(id))) newArrivalLists++;
        if (options.onProgress && (done + 1) % PROGRESS_EVERY_USERS === 0) {
          options.onProgress({ protocol, method, done: done + 1, total: cases.length });
        }
      }
      methods[method] = { ...accumulator.mean(), newItemHits, longUnsoldLists, newArrivalLists, seconds };
    }
    report.protocols[protocol] = {
      users: cases.length,
      newItemTargets,
      longUnsoldItems: longUnsold.size,
      newArrivalItems: newArrivals.size,
      methods,
    };
  }
  return report;
}

/** Failing loudly beats repairing: dropping an excluded id would hand the method a free extra slot. */
function assertValidList(
  method: string,
  userId: string,
  ranked: readonly string[],
  k: number,
  exclude: ReadonlySet<string>,
): void {
  if (ranked.length > k) {
    throw new Error(`${method} returned ${ranked.length} items for user ${userId}, k = ${k}`);
  }
  const seen = new Set<string>();
  for (const id of ranked) {
    if (exclude.has(id)) throw new Error(`${method} recommended excluded item ${id} to user ${userId}`);
    if (seen.has(id)) throw new Error(`${method} recommended item ${id} twice to user ${userId}`);
    seen.add(id);
  }
}
