import { isNewArrival } from '../ranking/new-arrivals';
import type { PurchaseSignals } from '../ranking/purchase-signals';
import {
  gatherSessionCandidates,
  sessionSubset,
  slotsForList,
  type SessionSources,
} from '../ranking/session-ranking';
import type { GatheredSet, GatherRequest } from './session-thread.protocol';

/**
 * A session list's candidates with each one's distinct buyers, read from the same signals: the candidate set's
 * model rows belong to the signals it was gathered with, which on the session thread are a copy.
 */
export function gatherCandidateSet(
  src: SessionSources & { signals: PurchaseSignals },
  session: readonly string[],
  query: Float32Array | undefined,
  pass: (id: string) => boolean,
): GatheredSet {
  const set = gatherSessionCandidates(src, session, query, pass);
  const buyers = new Float64Array(set.size);
  for (let i = 0; i < set.size; i++) {
    const row = set.itemRows[i];
    buyers[i] = row >= 0 ? src.signals.buyersAt[row] : 0;
  }
  return { set, buyers };
}

/**
 * `g` narrowed as `narrow` asks (GatherRequest.narrow): what the thread hands back, so the main thread unpacks
 * and ranks a dozen candidates rather than a few hundred. `availableFrom` is the catalog's on-sale date.
 */
export function narrowGathered(
  g: GatheredSet,
  narrow: NonNullable<GatherRequest['narrow']>,
  availableFrom: (id: string) => number | undefined,
): GatheredSet {
  const { set, buyers } = g;
  // The rule without its exposure test, which only the main thread can make: a superset of the new arrivals.
  const rule = { days: narrow.newArrivalDays, availableFrom };
  const slots = slotsForList(set, narrow.blend, narrow.pool, (s) =>
    isNewArrival(rule, set.ids[s], buyers[s], narrow.nowMs),
  );
  return { set: sessionSubset(set, slots), buyers: Float64Array.from(slots, (s) => buyers[s]) };
}
