import type { PurchaseSignals } from '../ranking/purchase-signals';
import { gatherSessionCandidates, type SessionSources } from '../ranking/session-ranking';
import type { GatheredSet } from './session-thread.protocol';

/**
 * A session list's candidates with each one's distinct buyers, read from the same signals (the candidate set's
 * model rows belong to the signals it was gathered with, which on the session thread are a copy), and the items
 * the filter turned away (by row where they have one).
 */
export function gatherCandidateSet(
  src: SessionSources & { signals: PurchaseSignals },
  session: readonly string[],
  query: Float32Array | undefined,
  pass: (id: string) => boolean,
): GatheredSet {
  const rejectedRows: number[] = [];
  const rejectedIds: string[] = [];
  const byRow = src.byRow;
  const signals = src.signals;
  const reject = (id: string): false => {
    const row = signals.rowOf(id);
    if (row >= 0) rejectedRows.push(row);
    else rejectedIds.push(id);
    return false;
  };
  const set = gatherSessionCandidates(
    byRow
      ? {
          ...src,
          byRow: {
            pass: (row) => byRow.pass(row) || (rejectedRows.push(row), false),
            vectorAt: byRow.vectorAt,
          },
        }
      : src,
    session,
    query,
    (id) => pass(id) || reject(id),
  );
  const buyers = src.scratch ? src.scratch.column(set.size) : new Float64Array(set.size);
  for (let i = 0; i < set.size; i++) {
    const row = set.itemRows[i];
    buyers[i] = row >= 0 ? src.signals.buyersAt[row] : 0;
  }
  return { set, buyers, rejectedRows, rejectedIds };
}
