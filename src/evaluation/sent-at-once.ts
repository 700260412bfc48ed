import type { Purchase } from './evaluation.types';

/** How long the shop takes to send its whole history under --sent-at-once. */
export const SENT_AT_ONCE_MS = 60 * 60 * 1000;

/**
 * The purchases as a shop sends its history when it has no timestamps of its own to give: every event stamped at
 * its arrival, all of them within the hour before `end`, in their order. The time line is squeezed linearly, so
 * order and baskets (one instant) survive while the gaps between visits shrink to milliseconds: the fine-tune's
 * validation window, counted in days, then holds the whole history.
 */
export function sentAtOnce(purchases: readonly Purchase[], end: Date): Purchase[] {
  if (purchases.length === 0) return [];
  let first = Infinity;
  let last = -Infinity;
  for (const p of purchases) {
    first = Math.min(first, p.timestamp.getTime());
    last = Math.max(last, p.timestamp.getTime());
  }
  const start = end.getTime() - SENT_AT_ONCE_MS;
  // The last event arrives a millisecond before `end`.
  const scale = last > first ? (SENT_AT_ONCE_MS - 1) / (last - first) : 0;
  return purchases.map((p) => ({
    ...p,
    timestamp: new Date(start + Math.round((p.timestamp.getTime() - first) * scale)),
  }));
}
