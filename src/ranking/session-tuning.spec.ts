import { neighbourLists as lists } from './testing/neighbour-lists';
import { PurchaseSignals } from './purchase-signals';
import { gatherSessionCandidates, rankSession, type SessionSources } from './session-ranking';
import { meanSessionNdcg, tuneSessionBlend, type SessionCase } from './session-tuning';
import { DEFAULT_SESSION_BLEND } from './session-ranking';

const SESSIONS = ['s0', 's1', 's2', 's3', 's4', 's5'];
const asOf = new Date('2011-01-01T00:00:00Z');

/**
 * Each session item s has one co-purchase neighbour c(s) and one successor t(s), and a best seller (`hit`)
 * neighbours neither. `coSim` and `transProb` set how strong each source looks; `wanted` says which one the
 * shoppers actually took next.
 */
function world(coSim: number, transProb: number, wanted: 'c' | 't'): SessionCase[] {
  const counts = [
    { itemId: 'hit', buyers: 50, recentBuyers: 20, repeatBuyers: 0 },
    ...SESSIONS.flatMap((s) => [
      { itemId: s, buyers: 3, recentBuyers: 0, repeatBuyers: 0 },
      { itemId: `c-${s}`, buyers: 3, recentBuyers: 0, repeatBuyers: 0 },
      { itemId: `t-${s}`, buyers: 3, recentBuyers: 0, repeatBuyers: 0 },
    ]),
  ];
  const co = lists(Object.fromEntries(SESSIONS.map((s) => [s, [[`c-${s}`, coSim]]])));
  const next = lists(Object.fromEntries(SESSIONS.map((s) => [s, [[`t-${s}`, transProb]]])));
  const signals = new PurchaseSignals(counts, co, asOf, next);
  const sources: SessionSources = { signals, vectorOf: () => undefined, nearest: () => [] };
  return SESSIONS.map((s) => ({
    candidates: gatherSessionCandidates(sources, [s], undefined, (id) => id !== s),
    targets: new Set([`${wanted}-${s}`]),
  }));
}

describe('session blend tuning', () => {
  it.each([
    // Co-purchase looks three times as strong, and the defaults (transitions ×4, co-purchase ×2) rank c(s)
    // first: 0.9·2 = 1.8 > 0.3·4 = 1.2. Shoppers took t(s).
    ['the transition weight when what comes next is the only signal', 0.9, 0.3, 't', 'trans'],
    // Now transitions look strong (0.9·4 = 3.6 against 0.3·2 = 0.6 under the defaults) and mislead.
    ['the co-purchase weight when shoppers take what is bought with the session', 0.3, 0.9, 'c', 'knn'],
  ] as const)('picks %s', (_, coSim, transProb, wanted, source) => {
    const cases = world(coSim, transProb, wanted);
    expect(meanSessionNdcg(cases, DEFAULT_SESSION_BLEND, 10)).toBeLessThan(1);
    const { weights, ndcg } = tuneSessionBlend(cases, DEFAULT_SESSION_BLEND);
    expect(ndcg).toBe(1);
    expect(
      source === 'trans' ? weights.trans + weights.transRecent : weights.knn + weights.knnRecent,
    ).toBeGreaterThan(0);
    // Weighed as tuned, the wanted item outranks the other source's and the best seller.
    const set = cases[0].candidates;
    expect(set.ids[rankSession(set, weights, 1)[0]]).toBe(`${wanted}-s0`);
  });

  it('ends no worse than co-purchase alone (the item-kNN ranking) on the sessions it tunes on', () => {
    const cases = world(0.5, 0.5, 'c');
    const knnAlone = meanSessionNdcg(
      cases,
      { cos: 0, cosFlat: 0, knn: 1, knnRecent: 0, trans: 0, transRecent: 0, trend: 0, pop: 1e-4 },
      10,
    );
    expect(knnAlone).toBe(1);
    expect(tuneSessionBlend(cases, DEFAULT_SESSION_BLEND).ndcg).toBe(1);
  });
});
