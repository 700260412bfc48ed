import { mulberry32 } from '../../common/random';
import { split } from '../../evaluation/evaluation-split';
import { loadOnlineRetail } from '../../online-retail/online-retail.reader';
import { stderrLog } from '../context';
import { runMode } from './run-experiment';
import { heldOutBaskets, seed } from './seed-shop';
import type { Mode, ModeReport, SimulateOptions } from './simulation.types';
import { Api } from './storefront-api';

/** The whole simulation: optional seeding, the placement, then one experiment per mode. */
export async function simulate(opts: SimulateOptions): Promise<{ modes: Partial<Record<Mode, ModeReport>> }> {
  const api = new Api(opts.url, opts.apiKey);
  const data = await loadOnlineRetail(opts.file);
  const s = split(data.purchases, opts.cutoff);
  if (opts.seed) await seed(api, data, s, opts);
  const stats = await api.call<{ events?: number }>('GET', '/v1/admin/stats');
  if (typeof stats.events === 'number' && stats.events > s.training.length)
    stderrLog(
      `warning: the server holds ${stats.events} events, more than the ${s.training.length} purchases before ` +
        'the cutoff: if it was loaded with the whole file it knows the held-out baskets',
    );
  await api.call('PUT', `/v1/admin/placements/${encodeURIComponent(opts.placement)}`, {
    kind: 'for-you',
    title: 'Simulated shoppers (aisle experiments:simulate)',
    limit: 10,
    ...(opts.discovery ? { filters: { excludePurchased: true } } : {}),
  });
  const baskets = heldOutBaskets(data, s);
  const prices = new Map(data.items.map((i) => [i.id, i.price]));
  const rand = mulberry32(opts.orderSeed);
  const shoppers = s.testUsers.map((u) => u.userId);
  for (let i = shoppers.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shoppers[i], shoppers[j]] = [shoppers[j], shoppers[i]];
  }
  const chosen = shoppers.slice(0, opts.shoppers ?? shoppers.length);
  const modes: Partial<Record<Mode, ModeReport>> = {};
  for (const mode of opts.modes) modes[mode] = await runMode(api, mode, chosen, baskets, prices, opts);
  return { modes };
}
