import type { EvaluationSplit } from '../../evaluation/evaluation.types';
import type { OnlineRetailData } from '../../online-retail/online-retail.types';
import { stderrLog } from '../context';
import type { SimulateOptions } from './simulation.types';
import type { Api } from './storefront-api';

const DAY_MS = 86_400_000;
const BATCH = 1000;

/**
 * The shop as it was at the cutoff, moved in time so that the cutoff is today: the catalog, every purchase
 * before the cutoff (idempotent eventIds, so a second seeding adds nothing), then the jobs a shop runs (index,
 * co-purchase neighbours and, unless switched off, the nightly fine-tune).
 */
export async function seed(
  api: Api,
  data: OnlineRetailData,
  s: EvaluationSplit,
  opts: SimulateOptions,
): Promise<void> {
  const progress = opts.progress ?? (() => undefined);
  const shift = Math.floor((Date.now() - opts.cutoff.getTime()) / DAY_MS) * DAY_MS;
  for (let i = 0; i < data.items.length; i += BATCH) {
    const items = data.items
      .slice(i, i + BATCH)
      .map((it) => ({ id: it.id, title: it.title, price: it.price }));
    await api.call('PUT', '/v1/items', { items });
    progress('items', Math.min(i + BATCH, data.items.length), data.items.length);
  }
  for (let i = 0; i < s.training.length; i += BATCH) {
    const events = s.training.slice(i, i + BATCH).map((p) => ({
      userId: p.userId,
      itemId: p.itemId,
      type: 'purchase',
      value: p.quantity,
      timestamp: new Date(p.timestamp.getTime() + shift).toISOString(),
      eventId: p.eventId,
    }));
    await api.call('POST', '/v1/events', { events });
    progress('history', Math.min(i + BATCH, s.training.length), s.training.length);
  }
  stderrLog('seeded; building the index, co-purchase neighbours' + (opts.finetune ? ' and fine-tune' : ''));
  await api.job('/v1/admin/reindex');
  await api.job('/v1/admin/copurchase');
  if (opts.finetune) {
    const result = await api.job('/v1/admin/finetune');
    stderrLog(`fine-tune: ${JSON.stringify({ activated: result.activated, reason: result.reason })}`);
  }
}

/** The held-out baskets: each test user's first invoice at/after the cutoff, item → quantity. */
export function heldOutBaskets(data: OnlineRetailData, s: EvaluationSplit): Map<string, Map<string, number>> {
  const invoiceOf = new Map(s.testUsers.map((u) => [u.userId, u.targetInvoiceNo]));
  const baskets = new Map<string, Map<string, number>>();
  for (const p of data.purchases) {
    if (invoiceOf.get(p.userId) !== p.invoiceNo) continue;
    let b = baskets.get(p.userId);
    if (!b) baskets.set(p.userId, (b = new Map<string, number>()));
    b.set(p.itemId, (b.get(p.itemId) ?? 0) + p.quantity);
  }
  return baskets;
}
