import type { Sample } from '../../experiments/statistics';
import {
  abShoppersForecast,
  abShoppersNeeded,
  interleaveShoppersForecast,
  interleaveShoppersNeeded,
  medianShoppersNeeded,
  type AbOutcome,
  type InterleaveOutcome,
} from '../../experiments/shoppers-needed';
import type {
  ExperimentBody,
  Mode,
  ModeReport,
  Outcomes,
  OwnCounts,
  ServedList,
  SimulateOptions,
} from './simulation.types';
import { pool, type Api } from './storefront-api';
import { DEFAULT_VARIANTS } from './variants';

/** The significance level "shoppers needed" is counted at. */
export const ALPHA = 0.01;

const emptyCounts = (): OwnCounts => ({ lists: 0, users: 0, clicks: 0, conversions: 0, revenue: 0 });
const sameMoney = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));

/**
 * One experiment on the placement, every shopper once: the shopper asks for their list, clicks each item of
 * their real next basket that the list shows and buys it (the basket's quantity at the item's price). The
 * clicks and purchases are sent under a per-experiment alias of the shopper, so that what one experiment's
 * shoppers bought never becomes their own history in the next one (the served list keeps the real user).
 */
export async function runMode(
  api: Api,
  mode: Mode,
  shoppers: readonly string[],
  baskets: ReadonlyMap<string, ReadonlyMap<string, number>>,
  prices: ReadonlyMap<string, number>,
  opts: SimulateOptions,
): Promise<ModeReport> {
  const variants = opts.variants ?? DEFAULT_VARIANTS;
  const experiment = `sim-${mode}-${Date.now().toString(36)}`;
  await api.call('POST', '/v1/admin/experiments', {
    id: experiment,
    placement: opts.placement,
    mode,
    variants,
  });
  const own: Record<string, OwnCounts> = {};
  const users: Record<string, Set<string>> = {};
  for (const v of variants) {
    own[v.id] = emptyCounts();
    users[v.id] = new Set();
  }
  const outcomes = await pool(shoppers, opts.concurrency, async (user, k) => {
    const list = await api.call<ServedList>(
      'GET',
      `/v1/placements/${encodeURIComponent(opts.placement)}/recommendations?userId=${encodeURIComponent(user)}`,
    );
    const basket = baskets.get(user)!;
    const alias = `sim:${experiment}:${user}`;
    const events: object[] = [];
    const teamClicks: Record<string, number> = {};
    for (const [p, item] of list.items.entries()) {
      const quantity = basket.get(item.id);
      if (quantity === undefined) continue;
      const price = prices.get(item.id) ?? 0;
      const common = { userId: alias, itemId: item.id, recommId: list.recommId };
      events.push({ ...common, type: 'view', position: p + 1, eventId: `${alias}:view:${item.id}` });
      events.push({
        ...common,
        type: 'purchase',
        value: quantity,
        price,
        eventId: `${alias}:buy:${item.id}`,
      });
      const team = mode === 'ab' ? list.variant! : item.team!;
      teamClicks[team] = (teamClicks[team] ?? 0) + 1;
      own[team].clicks++;
      own[team].conversions++;
      own[team].revenue += quantity * price;
    }
    if (events.length > 0) await api.call('POST', '/v1/events', { events });
    const lists = mode === 'ab' ? [list.variant!] : variants.map((v) => v.id);
    for (const v of lists) {
      own[v].lists++;
      users[v].add(user);
    }
    opts.progress?.(mode, k + 1, shoppers.length);
    return { variant: list.variant, teamClicks };
  });
  for (const v of variants) own[v.id].users = users[v.id].size;

  const body = await api.call<ExperimentBody>('GET', `/v1/admin/experiments/${experiment}`);
  await api.call('POST', `/v1/admin/experiments/${experiment}/stop`);
  const server: ModeReport['server'] = {};
  for (const v of body.variants)
    server[v.id] = {
      lists: v.lists,
      users: v.users,
      clicks: v.clicks,
      conversions: v.conversions,
      revenue: v.revenue,
      ctr: v.ctr,
      ...(v.pValue !== undefined ? { pValue: v.pValue } : {}),
      ...(v.lift !== undefined ? { lift: v.lift } : {}),
    };
  const mismatches: string[] = [];
  for (const v of variants) {
    const a = own[v.id];
    const b = server[v.id] ?? emptyCounts();
    for (const key of ['lists', 'users', 'clicks', 'conversions'] as const)
      if (a[key] !== b[key]) mismatches.push(`${v.id}.${key}: sent ${a[key]}, reported ${b[key]}`);
    if (!sameMoney(a.revenue, b.revenue))
      mismatches.push(`${v.id}.revenue: sent ${a.revenue}, reported ${b.revenue}`);
  }

  const report: ModeReport = {
    experiment,
    shoppers: shoppers.length,
    own,
    server,
    countsMatch: false,
    mismatches,
    pValue: undefined,
    shoppersNeeded: undefined,
    shoppersNeededMedian: Infinity,
    shoppersForecast: Infinity,
  };
  const [control, treatment] = variants.map((v) => v.id);
  if (mode === 'ab') {
    const ab: AbOutcome[] = outcomes.map((o) => ({
      variant: o.variant === treatment ? 1 : 0,
      clicks: o.teamClicks[o.variant!] ?? 0,
    }));
    report.pValue = server[treatment]?.pValue;
    const arm = (k: 0 | 1): Sample => {
      const c = ab.filter((o) => o.variant === k).map((o) => o.clicks);
      return { n: c.length, sum: c.reduce((a, b) => a + b, 0), sumSq: c.reduce((a, b) => a + b * b, 0) };
    };
    report.shoppersForecast = abShoppersForecast(arm(0), arm(1));
    report.shoppersNeeded = abShoppersNeeded(ab, ALPHA);
    report.shoppersNeededMedian = medianShoppersNeeded(
      ab,
      (x) => abShoppersNeeded(x, ALPHA),
      opts.orders,
      opts.orderSeed,
    );
  } else {
    const il: InterleaveOutcome[] = outcomes.map((o) => {
      const d = (o.teamClicks[treatment] ?? 0) - (o.teamClicks[control] ?? 0);
      return d > 0 ? 1 : d < 0 ? -1 : 0;
    });
    const ownOutcome: Outcomes = {
      wins: il.filter((x) => x > 0).length,
      losses: il.filter((x) => x < 0).length,
      ties: outcomes.filter((o, i) => il[i] === 0 && Object.keys(o.teamClicks).length > 0).length,
    };
    const srv = body.interleaving!;
    report.interleaving = { own: ownOutcome, server: srv };
    for (const key of ['wins', 'losses', 'ties'] as const)
      if (ownOutcome[key] !== srv[key])
        mismatches.push(`interleaving.${key}: own ${ownOutcome[key]}, reported ${srv[key]}`);
    report.pValue = srv.pValue;
    report.shoppersForecast = interleaveShoppersForecast(ownOutcome.wins, ownOutcome.losses, il.length);
    report.shoppersNeeded = interleaveShoppersNeeded(il, ALPHA);
    report.shoppersNeededMedian = medianShoppersNeeded(
      il,
      (x) => interleaveShoppersNeeded(x, ALPHA),
      opts.orders,
      opts.orderSeed,
    );
  }
  report.countsMatch = mismatches.length === 0;
  return report;
}
