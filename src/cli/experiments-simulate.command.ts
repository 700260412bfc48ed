import { Command } from 'commander';
import { mulberry32 } from '../common/random';
import { DEFAULT_CUTOFF, split } from '../evaluation/evaluation-split';
import type { EvaluationSplit } from '../evaluation/evaluation.types';
import type { Sample } from '../experiments/statistics';
import {
  abShoppersForecast,
  abShoppersNeeded,
  interleaveShoppersForecast,
  interleaveShoppersNeeded,
  medianShoppersNeeded,
  type AbOutcome,
  type InterleaveOutcome,
} from '../experiments/shoppers-needed';
import { loadOnlineRetail } from '../online-retail/online-retail.reader';
import type { OnlineRetailData } from '../online-retail/online-retail.types';
import { ReportedSummary, runCommand } from './command-runner';
import { stderrLog } from './context';
import { terminalProgress, type ProgressFn } from './progress';

const DAY_MS = 86_400_000;
const BATCH = 1000;
const ALPHA = 0.01;
type Mode = 'ab' | 'interleave';

/** An experiment variant as the API takes it (`POST /v1/admin/experiments`). */
export interface SimVariant {
  id: string;
  strategy?: 'engine' | 'popular';
  modelVersion?: number;
  rules?: unknown[];
}

/** The control first (the variant results compare with), the engine second (interleaving "wins"). */
export const DEFAULT_VARIANTS: readonly [SimVariant, SimVariant] = [
  { id: 'popular', strategy: 'popular' },
  { id: 'engine' },
];

/**
 * A variant given on the command line as JSON (`{"id":"cheap","rules":[…]}`); the server validates the rest.
 * Only the shape the simulator itself relies on is checked here: an object with a non-empty string id.
 */
export function parseVariant(flag: string, json: string): SimVariant {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new Error(`--${flag} must be a JSON object like {"id":"engine"}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`--${flag} must be a JSON object like {"id":"engine"}`);
  const id = (v as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') throw new Error(`--${flag} needs an "id" (a non-empty string)`);
  return v as SimVariant;
}

export interface SimulateOptions {
  url: string;
  apiKey?: string;
  file: string;
  cutoff: Date;
  /** Load the catalog and the pre-cutoff history into the server first (dates moved so the cutoff is today). */
  seed: boolean;
  finetune: boolean;
  shoppers?: number;
  modes: Mode[];
  placement: string;
  /**
   * The discovery protocol: the placement leaves out what the shopper bought before (`excludePurchased`), so
   * only the new items of a basket can be clicked — a smaller difference between the variants.
   */
  discovery?: boolean;
  /** Seed of the shoppers' arrival order and of the orders the median of "shoppers needed" is taken over. */
  orderSeed: number;
  orders: number;
  concurrency: number;
  /** Control, then treatment (default: `popular` against the engine). */
  variants?: readonly [SimVariant, SimVariant];
  progress?: ProgressFn;
}

/** What the simulator counted itself for one variant (for interleaving: for one team). */
export interface OwnCounts {
  lists: number;
  users: number;
  clicks: number;
  conversions: number;
  revenue: number;
}

export interface ModeReport {
  experiment: string;
  shoppers: number;
  own: Record<string, OwnCounts>;
  server: Record<string, OwnCounts & { ctr: number; pValue?: number; lift?: number }>;
  interleaving?: { own: Outcomes; server: Outcomes & { pValue: number } };
  countsMatch: boolean;
  mismatches: string[];
  pValue: number | undefined;
  /** Shoppers after which p < 0.01 held to the end, in this run's order (undefined: never). */
  shoppersNeeded: number | undefined;
  /** The median of the same over many random orders of this run's shoppers (Infinity: most never). */
  shoppersNeededMedian: number;
  /**
   * The shoppers at which the test is expected to land on p = 0.01 (50 % power), from this run's per-shopper
   * rates: a forecast where the run's shoppers are too few to decide.
   */
  shoppersForecast: number;
}

interface Outcomes {
  wins: number;
  losses: number;
  ties: number;
}

interface ListItem {
  id: string;
  team?: string;
}
interface ServedList {
  items: ListItem[];
  recommId: string;
  variant?: string;
}
interface VariantResult {
  id: string;
  users: number;
  lists: number;
  clicks: number;
  ctr: number;
  conversions: number;
  revenue: number;
  lift?: number;
  pValue?: number;
}
interface ExperimentBody {
  variants: VariantResult[];
  interleaving?: Outcomes & { pValue: number };
}

/** The server's public API, nothing else: the simulator is a storefront and a back office. */
class Api {
  constructor(
    private readonly base: string,
    private readonly key: string | undefined,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base.replace(/\/$/, '')}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.key ? { 'x-api-key': this.key } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const json = (text ? JSON.parse(text) : undefined) as (T & { detail?: string }) | undefined;
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${json?.detail ?? text}`);
    return json as T;
  }

  async job(path: string, body: unknown = {}): Promise<Record<string, unknown>> {
    const { jobId } = await this.call<{ jobId: string }>('POST', path, body);
    for (;;) {
      const job = await this.call<{ status: string; error?: string; result?: Record<string, unknown> }>(
        'GET',
        `/v1/admin/jobs/${jobId}`,
      );
      if (job.status === 'succeeded') return job.result ?? {};
      if (job.status === 'failed') throw new Error(`${path} job failed: ${job.error ?? 'no reason given'}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * The shop as it was at the cutoff, moved in time so that the cutoff is today: the catalog, every purchase
 * before the cutoff (idempotent eventIds, so a second seeding adds nothing), then the jobs a shop runs (index,
 * co-purchase neighbours and, unless switched off, the nightly fine-tune).
 */
async function seed(
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

/** Runs `work` over `items` with at most `limit` in flight; results keep the items' order. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const emptyCounts = (): OwnCounts => ({ lists: 0, users: 0, clicks: 0, conversions: 0, revenue: 0 });
const sameMoney = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a));

/**
 * One experiment on the placement, every shopper once: the shopper asks for their list, clicks each item of
 * their real next basket that the list shows and buys it (the basket's quantity at the item's price). The
 * clicks and purchases are sent under a per-experiment alias of the shopper, so that what one experiment's
 * shoppers bought never becomes their own history in the next one (the served list keeps the real user).
 */
async function runMode(
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

/** The held-out baskets: each test user's first invoice at/after the cutoff, item → quantity. */
function heldOutBaskets(data: OnlineRetailData, s: EvaluationSplit): Map<string, Map<string, number>> {
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

const fmtForecast = (n: number) => (Number.isFinite(n) ? String(Math.ceil(n)) : 'never (no difference)');
const fmt = (n: number | undefined) =>
  n === undefined ? 'never' : n === Infinity ? 'never (most orders)' : String(n);

/** The report a developer reads: the simulator's counts beside the server's, and what each test needed. */
export function formatSimulation(result: { modes: Partial<Record<Mode, ModeReport>> }): string {
  const lines: string[] = [];
  for (const [mode, r] of Object.entries(result.modes)) {
    lines.push(`${mode}: experiment ${r.experiment}, ${r.shoppers} shoppers`);
    lines.push('  variant    lists  users  clicks  conversions     revenue    (simulator | server)');
    const ids = Object.keys(r.own);
    for (const id of ids) {
      const a = r.own[id];
      const b = r.server[id];
      const cell = (x: number, y: number | undefined, w: number) => `${x} | ${y ?? '-'}`.padStart(w);
      lines.push(
        `  ${id.padEnd(8)} ${cell(a.lists, b?.lists, 14)} ${cell(a.users, b?.users, 12)} ${cell(a.clicks, b?.clicks, 12)} ${cell(
          a.conversions,
          b?.conversions,
          12,
        )} ${`${a.revenue.toFixed(2)} | ${b ? b.revenue.toFixed(2) : '-'}`.padStart(24)}`,
      );
    }
    if (r.interleaving)
      lines.push(
        `  interleaving: ${ids[1]} wins ${r.interleaving.server.wins}, losses ${r.interleaving.server.losses}, ties ${r.interleaving.server.ties} (sign test)`,
      );
    lines.push(
      `  counts match: ${r.countsMatch ? 'yes' : `NO (${r.mismatches.join('; ')})`}; p-value ${r.pValue?.toPrecision(3) ?? '-'}; ` +
        `shoppers needed for p < ${ALPHA}: ${fmt(r.shoppersNeeded)} in this order, median ${fmt(r.shoppersNeededMedian)} over random orders; ` +
        `forecast (50 % power, from this run's rates) ${fmtForecast(r.shoppersForecast)}`,
    );
  }
  const ab = result.modes.ab?.shoppersNeededMedian;
  const il = result.modes.interleave?.shoppersNeededMedian;
  if (ab !== undefined && il !== undefined && Number.isFinite(ab) && Number.isFinite(il))
    lines.push(`interleaving needed ${(il / ab).toFixed(3)} of the shoppers the A/B test needed (medians)`);
  const abF = result.modes.ab?.shoppersForecast;
  const ilF = result.modes.interleave?.shoppersForecast;
  if (abF !== undefined && ilF !== undefined && Number.isFinite(abF) && Number.isFinite(ilF))
    lines.push(`forecast: interleaving needs ${(ilF / abF).toFixed(3)} of the shoppers an A/B test needs`);
  return lines.join('\n');
}

/** `aisle experiments:simulate`: Online Retail's held-out baskets replayed as shoppers against a running server. */
export function experimentsSimulateCommand(): Command {
  return new Command('experiments:simulate')
    .description(
      'replay the Online Retail held-out baskets as shoppers against a running server: an A/B test and an ' +
        'interleaving test of the engine against the popular list, counted by the simulator and by the server',
    )
    .requiredOption('--url <url>', 'the running server, e.g. http://127.0.0.1:3000')
    .requiredOption('--online-retail <file>', 'the UCI Online Retail file (.csv or .csv.gz)')
    .option('--api-key <key>', 'a key with read, write and admin scopes (when the server has keys)')
    .option('--seed', 'first load the catalog and the pre-cutoff history, moved so the cutoff is today')
    .option('--no-finetune', 'with --seed: skip the fine-tune (the engine ranks with raw text vectors)')
    .option('--cutoff <date>', 'split date (default 2011-11-01, the evaluation protocol)')
    .option('--shoppers <n>', 'replay only the first n shoppers (default: every test user)')
    .option('--mode <mode>', 'ab, interleave or both', 'both')
    .option('--placement <id>', 'the placement to create and experiment on', 'sim-for-you')
    .option('--discovery', "the placement leaves out the shopper's past purchases (excludePurchased)")
    .option('--order-seed <n>', "seed of the shoppers' order", '1')
    .option('--orders <n>', 'random orders the median of "shoppers needed" is taken over', '200')
    .option('--concurrency <n>', 'shoppers in flight at once', '4')
    .option('--control <json>', 'the control variant as JSON (default {"id":"popular","strategy":"popular"})')
    .option('--treatment <json>', 'the treatment variant as JSON (default {"id":"engine"})')
    .option('--json', 'print the result as one JSON line last')
    .action(
      (o: {
        url: string;
        onlineRetail: string;
        apiKey?: string;
        seed?: boolean;
        finetune: boolean;
        cutoff?: string;
        shoppers?: string;
        mode: string;
        placement: string;
        discovery?: boolean;
        orderSeed: string;
        orders: string;
        concurrency: string;
        control?: string;
        treatment?: string;
        json?: boolean;
      }) =>
        runCommand(!!o.json, async () => {
          const int = (name: string, v: string | undefined, min: number) => {
            if (v === undefined) return undefined;
            const n = Number(v);
            if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
            return n;
          };
          const cutoff = o.cutoff
            ? new Date(o.cutoff.length === 10 ? `${o.cutoff}T00:00:00Z` : o.cutoff)
            : DEFAULT_CUTOFF;
          if (Number.isNaN(cutoff.getTime())) throw new Error('--cutoff must be a date like 2011-11-01');
          if (!['ab', 'interleave', 'both'].includes(o.mode))
            throw new Error('--mode must be ab, interleave or both');
          const bar = terminalProgress(true);
          const result = await simulate({
            url: o.url,
            apiKey: o.apiKey,
            file: o.onlineRetail,
            cutoff,
            seed: !!o.seed,
            finetune: o.finetune,
            shoppers: int('shoppers', o.shoppers, 1),
            modes: o.mode === 'both' ? ['ab', 'interleave'] : [o.mode as Mode],
            placement: o.placement,
            discovery: !!o.discovery,
            orderSeed: int('order-seed', o.orderSeed, 0)!,
            orders: int('orders', o.orders, 1)!,
            concurrency: int('concurrency', o.concurrency, 1)!,
            variants: [
              o.control ? parseVariant('control', o.control) : DEFAULT_VARIANTS[0],
              o.treatment ? parseVariant('treatment', o.treatment) : DEFAULT_VARIANTS[1],
            ],
            progress: bar.update,
          }).finally(bar.stop);
          const report = formatSimulation(result);
          const bad = Object.values(result.modes).filter((m) => !m.countsMatch);
          if (bad.length > 0) {
            process.stdout.write(`${report}\n`);
            throw new Error(
              `the server's counts differ from the simulator's: ${bad.flatMap((m) => m.mismatches).join('; ')}`,
            );
          }
          return new ReportedSummary(
            report,
            JSON.parse(JSON.stringify(result, (_k, v: unknown) => (v === Infinity ? null : v))) as Record<
              string,
              unknown
            >,
          );
        }),
    );
}
