/**
 * Soak: two `aisle serve` processes on one database under mixed traffic spread over both — catalog upserts and
 * deletes, event ingest, personalised, similar, session and popular lists — with a full reindex and a fine-tune
 * started in the middle. Reports p50/p99 per route, responses by status, each server's RSS over time, and every
 * list that served an item whose delete had been acknowledged (by either server) at least a second before the
 * list was requested. Bars: zero 5xx, zero deleted items served after 1 s, each server's RSS flat (the last
 * minute's peak within 10 % of the third minute's), no request lost to a timeout or a dropped connection, and
 * both servers serving one model at the end (the same active version and index, after the mid-run jobs).
 *
 * Usage: npm run build && node dist/bench/soak.js [--json] [--fresh]
 * Knobs (environment): SOAK_MINUTES (10), SOAK_RPS (100 requests/s in total), SOAK_CONNECTIONS (16 concurrent
 * clients), SOAK_PORTS (3911,3912), SOAK_REUSE_DB (1: reuse the prepared Online Retail database when it exists;
 * 0 or --fresh: prepare it again), SOAK_TIMEOUT_MS (30000 per request), SOAK_DB (aisle_bench_soak: the run's
 * database name; the prepared copy is <name>_base), SOAK_FINETUNE_EPOCHS (1: the mid-run fine-tune's epochs).
 * Exit code 1 when a bar fails. Server logs go to DATA_DIR/server-<name>.log, not to this output.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DeleteLedger, type DeleteSpan } from './lib/delete-ledger';
import { rssMb, treeRssMb } from './lib/process-rss';
import {
  adminUrl,
  databaseExists,
  dbUrl,
  ONLINE_RETAIL,
  recreateDatabase,
  ROOT,
  runCli,
  startServer,
  type RunningServer,
} from './lib/server';

/** Database names start with this (SOAK_DB), so two checkouts can soak on one PostgreSQL without colliding. */
const DB_PREFIX = process.env.SOAK_DB ?? 'aisle_bench_soak';
if (!/^[a-z_][a-z0-9_]{0,40}$/.test(DB_PREFIX))
  throw new Error(`SOAK_DB: not a plain database name "${DB_PREFIX}"`);
const BASE_DB = `${DB_PREFIX}_base`;
const PREP_DB = `${DB_PREFIX}_prep`;
const RUN_DB = DB_PREFIX;
const DATA_DIR = path.join(ROOT, '.data', 'bench-soak');

const GRACE_MS = 1000;
/** The detailed memory sample (RSS of the process tree, V8 heap from /metrics): every 10 s. */
const RSS_EVERY_MS = 10_000;
/**
 * RSS alone, read from /proc every second for each minute's peak: the V8 heap saws by ~100 MB over a minute
 * or two, and a minute's peak from six samples is hit or miss whether its top fell on one of them.
 */
const RSS_PEAK_EVERY_MS = 1000;
const RSS_TOLERANCE = 0.1;
/**
 * Fractions of the run at which the fine-tune and then a full reindex are queued: the fine-tune early, so that
 * it can end, and its version be activated, while the traffic runs (on a 2-core machine one epoch took ~190 s
 * alone and ~560 s beside the soak: a 15-minute run); the reindex behind it shows whether it waits for the
 * fine-tune.
 */
const FINETUNE_AT = 0.1;
/**
 * The mid-run fine-tune's settings, as the servers' environment. One epoch (SOAK_FINETUNE_EPOCHS) and no second
 * training on all data: with the defaults (three epochs, then a retraining) it had not ended when a 10-minute
 * run did, nor did it with these. And it is always activated (a gain of −1 passes the gate): the soak's own
 * events fill the validation window with random purchases, so the gate would reject every candidate, and the
 * point is to switch both servers to a new version under traffic, not to judge it.
 */
const FINETUNE_ENV = {
  FINETUNE_EPOCHS: String(envNumber('SOAK_FINETUNE_EPOCHS', 1, 1)),
  FINETUNE_RETRAIN_FULL: 'false',
  FINETUNE_MIN_GAIN: '-1',
};
/** How long the servers may take, once the traffic stops, to agree on the served model (the feed's latency). */
const AGREE_WITHIN_MS = 30_000;
const REINDEX_AT = 0.35;
/** Items kept deleted at a time: the oldest is re-created by PUT once more are deleted than this. */
const DELETED_TARGET = 40;

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return n;
}

const MINUTES = envNumber('SOAK_MINUTES', 10, 0.5);
const RPS = envNumber('SOAK_RPS', 100, 1);
const CONNECTIONS = Math.floor(envNumber('SOAK_CONNECTIONS', 16, 1));
const TIMEOUT_MS = envNumber('SOAK_TIMEOUT_MS', 30_000, 1000);
const PORTS = (process.env.SOAK_PORTS ?? '3911,3912').split(',').map((p) => {
  const n = Number(p);
  if (!Number.isInteger(n) || n < 1024 || n > 65535) throw new Error(`SOAK_PORTS: bad port "${p}"`);
  return n;
});
if (PORTS.length !== 2 || PORTS[0] === PORTS[1]) throw new Error('SOAK_PORTS must name two different ports');
const REUSE_DB = process.env.SOAK_REUSE_DB !== '0' && !process.argv.includes('--fresh');
const JSON_OUT = process.argv.includes('--json');
const API_KEY = `soak-${randomBytes(12).toString('hex')}`;

const say = (line = '') => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------- the database

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/**
 * The prepared database: the full Online Retail import, its co-purchase neighbours and every item embedded.
 * Built under a scratch name and renamed at the end, so an interrupted preparation is never taken as done.
 */
async function prepareBase(): Promise<void> {
  if (REUSE_DB && (await databaseExists(BASE_DB))) return;
  const started = performance.now();
  say('preparing the soak database once (Online Retail import, co-purchase, embedding every item)…');
  const url = await recreateDatabase(PREP_DB);
  const env = { DATABASE_URL: url, DATA_DIR };
  await runCli(['import', '--online-retail', ONLINE_RETAIL, '--json'], env);
  await runCli(['copurchase:refresh', '--json'], env);
  await runCli(['reindex', '--json'], env);
  // The import queued a co-purchase rebuild for a server to run; the refresh above already did that work.
  await query(url, "DELETE FROM jobs WHERE status = 'queued'");
  await query(adminUrl(), `DROP DATABASE IF EXISTS ${BASE_DB} WITH (FORCE)`);
  await query(adminUrl(), `ALTER DATABASE ${PREP_DB} RENAME TO ${BASE_DB}`);
  say(`prepared in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** A fresh copy of the prepared database, so every run starts from the same catalog and history. */
async function copyBase(): Promise<string> {
  await query(adminUrl(), `DROP DATABASE IF EXISTS ${RUN_DB} WITH (FORCE)`);
  await query(adminUrl(), `CREATE DATABASE ${RUN_DB} TEMPLATE ${BASE_DB}`);
  // The index files on disk belong to the previous run: the first server rebuilds from the stored vectors.
  fs.rmSync(path.join(DATA_DIR, 'index'), { recursive: true, force: true });
  return dbUrl(RUN_DB);
}

// ---------------------------------------------------------------------------------------- request accounting

type RouteName =
  | 'GET /v1/users/:id/recommendations'
  | 'GET /v1/items/:id/similar'
  | 'POST /v1/recommendations'
  | 'GET /v1/popular'
  | 'POST /v1/events'
  | 'GET /v1/items/:id'
  | 'PUT /v1/items'
  | 'DELETE /v1/items/:id'
  | 'POST /v1/admin/reindex'
  | 'POST /v1/admin/finetune'
  | 'GET /v1/admin/jobs/:id';

interface RouteStats {
  latencies: number[];
  statuses: Map<number, number>;
  transport: Map<string, number>;
}

interface MinuteStats {
  requests: number;
  latencies: number[];
  fiveXx: number;
  otherNon2xx: number;
  transport: number;
  violations: number;
}

interface Violation {
  route: RouteName;
  listServer: string;
  itemId: string;
  deletedBy: string;
  /** How long before the list request was sent the delete had been acknowledged. */
  deletedForMs: number;
  atSecond: number;
  /** The request that served it. */
  request: string;
  /**
   * What the servers and PostgreSQL said about the item right after (filled in asynchronously): tells a stale
   * in-memory catalog from a row that is live again.
   */
  probe?: string;
}

interface ServerHandle {
  name: string;
  running: RunningServer;
  exitedAt?: number;
  exitCode?: number | null;
}

class Soak {
  readonly routes = new Map<RouteName, RouteStats>();
  readonly minutes: MinuteStats[] = [];
  readonly violations: Violation[] = [];
  readonly ledger = new DeleteLedger();
  /** Each server's RSS every RSS_PEAK_EVERY_MS (MB): what the per-minute peaks and the RSS bar are made of. */
  readonly rssPeaks = new Map<string, Array<{ at: number; mb: number }>>();
  readonly rss = new Map<
    string,
    Array<{
      at: number;
      mb: number;
      treeMb: number;
      heapUsedMb?: number;
      heapTotalMb?: number;
      externalMb?: number;
    }>
  >();
  sent = 0;
  t0 = 0;

  constructor(readonly maxRequests: number) {}

  minute(at: number): MinuteStats {
    const m = Math.max(0, Math.floor((at - this.t0) / 60_000));
    while (this.minutes.length <= m)
      this.minutes.push({
        requests: 0,
        latencies: [],
        fiveXx: 0,
        otherNon2xx: 0,
        transport: 0,
        violations: 0,
      });
    return this.minutes[m];
  }

  route(name: RouteName): RouteStats {
    let r = this.routes.get(name);
    if (!r) this.routes.set(name, (r = { latencies: [], statuses: new Map(), transport: new Map() }));
    return r;
  }
}

interface Reply {
  status: number;
  body: unknown;
  sentAt: number;
  /** When the whole answer had arrived. */
  answeredAt: number;
}

/** One request to 127.0.0.1, timed to the end of its body; undefined when it got no HTTP answer. */
async function call(
  soak: Soak,
  server: ServerHandle,
  route: RouteName,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<Reply | undefined> {
  soak.sent++;
  const sentAt = performance.now();
  const stats = soak.route(route);
  const minute = soak.minute(sentAt);
  minute.requests++;
  try {
    const res = await fetch(`${server.running.url}${urlPath}`, {
      method,
      // A content type only with a body: a body-less DELETE must not claim to carry JSON.
      headers:
        body === undefined
          ? { 'x-api-key': API_KEY }
          : { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    const ms = performance.now() - sentAt;
    stats.latencies.push(ms);
    minute.latencies.push(ms);
    stats.statuses.set(res.status, (stats.statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) minute.fiveXx++;
    else if (res.status >= 300) minute.otherNon2xx++;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, sentAt, answeredAt: sentAt + ms };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const kind = err.name === 'TimeoutError' ? 'timeout' : (err.cause?.code ?? err.name ?? 'error');
    stats.transport.set(kind, (stats.transport.get(kind) ?? 0) + 1);
    minute.transport++;
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------- the item pools

/** A set with O(1) add, delete and uniform random pick. */
class IdPool {
  private readonly ids: string[] = [];
  private readonly at = new Map<string, number>();

  constructor(ids: Iterable<string> = []) {
    for (const id of ids) this.add(id);
  }

  add(id: string): void {
    if (this.at.has(id)) return;
    this.at.set(id, this.ids.length);
    this.ids.push(id);
  }

  delete(id: string): void {
    const i = this.at.get(id);
    if (i === undefined) return;
    const last = this.ids.pop()!;
    if (last !== id) {
      this.ids[i] = last;
      this.at.set(last, i);
    }
    this.at.delete(id);
  }

  has(id: string): boolean {
    return this.at.has(id);
  }

  random(): string | undefined {
    return this.ids.length ? this.ids[Math.floor(Math.random() * this.ids.length)] : undefined;
  }

  get size(): number {
    return this.ids.length;
  }
}

/** The fields of an item that PUT /v1/items accepts (a GET answer also carries timestamps). */
const ITEM_FIELDS = [
  'id',
  'title',
  'description',
  'category',
  'brand',
  'price',
  'inStock',
  'attributes',
  'imageUrl',
  'availableFrom',
] as const;
type ItemRecord = Record<string, unknown> & { id: string; title: string };

function asItemInput(got: Record<string, unknown>): ItemRecord {
  const out: Record<string, unknown> = {};
  for (const f of ITEM_FIELDS) if (got[f] !== null && got[f] !== undefined) out[f] = got[f];
  return out as ItemRecord;
}

const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)];

/**
 * What the traffic knows about the catalog. Only items believed live are named in requests; an item with a
 * write in flight is named by no other request, so a delete never races an event or a session naming it
 * (those would be refused for a legitimate reason and blur the error counts).
 */
class Catalog {
  readonly live: IdPool;
  /** Items recently seen in lists: delete targets, so deletes hit items that lists actually serve. */
  private readonly shown: string[] = [];
  private shownNext = 0;
  private readonly inUse = new Map<string, number>();
  /** Items with a delete or upsert in flight, or whose last write got no answer (state unknown). */
  private readonly blocked = new Set<string>();
  readonly records = new Map<string, ItemRecord>();
  newItems = 0;

  constructor(liveIds: string[]) {
    this.live = new IdPool(liveIds);
  }

  sawInList(id: string): void {
    if (this.shown.length < 500) this.shown.push(id);
    else this.shown[this.shownNext++ % 500] = id;
  }

  usable(id: string): boolean {
    return this.live.has(id) && !this.blocked.has(id);
  }

  pickLive(): string | undefined {
    for (let i = 0; i < 10; i++) {
      const id = this.live.random();
      if (id !== undefined && this.usable(id)) return id;
    }
    return undefined;
  }

  pickShown(): string | undefined {
    for (let i = 0; i < 10 && this.shown.length; i++) {
      const id = pick(this.shown);
      if (this.usable(id)) return id;
    }
    return this.pickLive();
  }

  /** A shown, live item that no request in flight names. */
  pickDeleteTarget(): string | undefined {
    for (let i = 0; i < 20 && this.shown.length; i++) {
      const id = pick(this.shown);
      if (this.usable(id) && !this.inUse.has(id)) return id;
    }
    return undefined;
  }

  async using<T>(ids: string[], fn: () => Promise<T>): Promise<T> {
    for (const id of ids) this.inUse.set(id, (this.inUse.get(id) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      for (const id of ids) {
        const n = this.inUse.get(id)! - 1;
        if (n === 0) this.inUse.delete(id);
        else this.inUse.set(id, n);
      }
    }
  }

  block(id: string): void {
    this.blocked.add(id);
  }

  unblock(id: string): void {
    this.blocked.delete(id);
  }
}

// --------------------------------------------------------------------------------------------- the traffic

interface Traffic {
  soak: Soak;
  servers: ServerHandle[];
  catalog: Catalog;
  users: string[];
  runId: string;
  deadline: number;
  dbUrl: string;
}

/** Checks a list answer against the acknowledged deletes and remembers what it showed. */
function checkList(
  t: Traffic,
  route: RouteName,
  server: ServerHandle,
  reply: Reply | undefined,
  request: string,
): void {
  if (!reply || reply.status !== 200) return;
  const items = (reply.body as { items?: Array<{ id?: unknown }> } | undefined)?.items;
  if (!Array.isArray(items)) return;
  for (const it of items) {
    if (typeof it.id !== 'string') continue;
    t.catalog.sawInList(it.id);
    const span: DeleteSpan | undefined = t.soak.ledger.violatedBy(
      it.id,
      reply.sentAt,
      reply.answeredAt,
      GRACE_MS,
    );
    if (span) {
      t.soak.minute(reply.sentAt).violations++;
      const violation: Violation = {
        route,
        listServer: server.name,
        itemId: it.id,
        deletedBy: span.by,
        deletedForMs: Math.round(reply.sentAt - span.ackedAt),
        atSecond: Math.round((reply.sentAt - t.soak.t0) / 1000),
        request,
      };
      t.soak.violations.push(violation);
      if (t.soak.violations.length <= 10) void probe(t, server, violation);
    }
  }
}

/** Asks both servers and PostgreSQL about a served deleted item, then the same list request once more. */
async function probe(t: Traffic, server: ServerHandle, v: Violation): Promise<void> {
  const parts: string[] = [];
  for (const s of t.servers) {
    const r = await call(t.soak, s, 'GET /v1/items/:id', 'GET', `/v1/items/${encodeURIComponent(v.itemId)}`);
    parts.push(`GET item on ${s.name}: ${r?.status ?? 'no answer'}`);
  }
  const rows = await query<{ deleted_at: Date | null; updated_at: Date }>(
    t.dbUrl,
    'SELECT deleted_at, updated_at FROM items WHERE id = $1',
    [v.itemId],
  ).catch(() => []);
  parts.push(
    rows[0]
      ? `row deleted_at ${rows[0].deleted_at?.toISOString() ?? 'null'}, updated_at ${rows[0].updated_at.toISOString()}`
      : 'no row',
  );
  const [method, urlPath] = v.request.split(' ', 2);
  const body = v.request.slice(method.length + urlPath.length + 2);
  const again = await call(t.soak, server, v.route, method, urlPath, body ? JSON.parse(body) : undefined);
  const items = (again?.body as { items?: Array<{ id?: unknown }> } | undefined)?.items ?? [];
  parts.push(`same request again: ${items.some((i) => i.id === v.itemId) ? 'still served' : 'gone'}`);
  v.probe = parts.join('; ');
}

const LIST_OPTIONS = ['', '', '', '&excludePurchased=true', '&minPrice=1', '&maxPrice=5', '&explain=true'];

async function personalised(t: Traffic, s: ServerHandle): Promise<void> {
  const route = 'GET /v1/users/:id/recommendations';
  // Mostly shoppers with a purchase history; some of the soak's own users, whose history is the ingested events.
  const user = Math.random() < 0.9 ? pick(t.users) : `soak-user-${Math.floor(Math.random() * 300)}`;
  const urlPath = `/v1/users/${encodeURIComponent(user)}/recommendations?limit=20${pick(LIST_OPTIONS)}`;
  checkList(t, route, s, await call(t.soak, s, route, 'GET', urlPath), `GET ${urlPath}`);
}

async function similar(t: Traffic, s: ServerHandle): Promise<void> {
  const route = 'GET /v1/items/:id/similar';
  const id = t.catalog.pickShown();
  if (!id) return;
  const urlPath = `/v1/items/${encodeURIComponent(id)}/similar?limit=20`;
  const reply = await t.catalog.using([id], () => call(t.soak, s, route, 'GET', urlPath));
  checkList(t, route, s, reply, `GET ${urlPath}`);
}

async function session(t: Traffic, s: ServerHandle): Promise<void> {
  const route = 'POST /v1/recommendations';
  const ids = [
    ...new Set(Array.from({ length: 1 + Math.floor(Math.random() * 4) }, () => t.catalog.pickShown())),
  ];
  const itemIds = ids.filter((id): id is string => id !== undefined);
  if (!itemIds.length) return;
  const reply = await t.catalog.using(itemIds, () =>
    call(t.soak, s, route, 'POST', '/v1/recommendations', { itemIds, limit: 20 }),
  );
  checkList(t, route, s, reply, `POST /v1/recommendations ${JSON.stringify({ itemIds, limit: 20 })}`);
}

async function popular(t: Traffic, s: ServerHandle): Promise<void> {
  const route = 'GET /v1/popular';
  const days = pick(['', '', '&days=30']);
  const urlPath = `/v1/popular?limit=50${days}`;
  checkList(t, route, s, await call(t.soak, s, route, 'GET', urlPath), `GET ${urlPath}`);
}

let eventSeq = 0;
async function ingest(t: Traffic, s: ServerHandle): Promise<void> {
  const events: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 10; i++) {
    const itemId = t.catalog.pickLive();
    if (!itemId) continue;
    const r = Math.random();
    events.push({
      userId: Math.random() < 0.7 ? pick(t.users) : `soak-user-${Math.floor(Math.random() * 300)}`,
      itemId,
      type: r < 0.7 ? 'view' : r < 0.9 ? 'add_to_cart' : 'purchase',
      ...(r >= 0.9 ? { value: 1 + Math.floor(Math.random() * 3) } : {}),
      eventId: `soak-${t.runId}-${eventSeq++}`,
    });
  }
  if (!events.length) return;
  await t.catalog.using(
    events.map((e) => e.itemId as string),
    () => call(t.soak, s, 'POST /v1/events', 'POST', '/v1/events', { events }),
  );
}

async function fetchRecord(t: Traffic, s: ServerHandle, id: string): Promise<ItemRecord | undefined> {
  const cached = t.catalog.records.get(id);
  if (cached) return cached;
  const reply = await call(t.soak, s, 'GET /v1/items/:id', 'GET', `/v1/items/${encodeURIComponent(id)}`);
  if (reply?.status !== 200 || typeof reply.body !== 'object' || reply.body === null) return undefined;
  const record = asItemInput(reply.body as Record<string, unknown>);
  t.catalog.records.set(id, record);
  return record;
}

async function putItem(t: Traffic, s: ServerHandle, item: ItemRecord, recreating: boolean): Promise<void> {
  const c = t.catalog;
  c.block(item.id);
  const sentAt = performance.now();
  if (recreating) t.soak.ledger.recreating(item.id, sentAt);
  const reply = await call(t.soak, s, 'PUT /v1/items', 'PUT', '/v1/items', { items: [item] });
  if (reply?.status === 200) {
    c.records.set(item.id, item);
    c.live.add(item.id);
    c.unblock(item.id);
  } else if (reply && !recreating) {
    c.unblock(item.id); // refused: nothing was written
  } // no answer, or a refused re-create: the item's state is unknown, so it stays out of the traffic
}

/** Re-creates the item deleted longest ago, updates a live item's price, or adds a new item. */
async function upsert(t: Traffic, s: ServerHandle): Promise<void> {
  const c = t.catalog;
  const oldest = t.soak.ledger.deletedIds()[0];
  if (oldest && t.soak.ledger.deletedCount > DELETED_TARGET) {
    const record = c.records.get(oldest.id);
    if (record) return putItem(t, s, record, true);
  }
  const id = c.pickLive();
  if (!id) return;
  const record = await c.using([id], () => fetchRecord(t, s, id));
  if (!record || !c.usable(id)) return;
  if (Math.random() < 0.2) {
    c.newItems++;
    return putItem(
      t,
      s,
      { ...record, id: `soak-${t.runId}-${c.newItems}`, title: `${record.title} (soak)` },
      false,
    );
  }
  const price = Math.round((0.5 + Math.random() * 20) * 100) / 100;
  return putItem(t, s, { ...record, price }, false);
}

async function remove(t: Traffic, s: ServerHandle): Promise<void> {
  const c = t.catalog;
  const id = c.pickDeleteTarget();
  if (!id) return;
  c.block(id);
  // The record is kept so the item can be re-created as it was.
  const record = await fetchRecord(t, s, id);
  if (!record) return c.unblock(id);
  const reply = await call(
    t.soak,
    s,
    'DELETE /v1/items/:id',
    'DELETE',
    `/v1/items/${encodeURIComponent(id)}`,
  );
  if (reply?.status === 204) {
    t.soak.ledger.deleted(id, performance.now(), s.name);
    c.live.delete(id);
    c.unblock(id);
  } else if (reply) {
    c.unblock(id); // refused: still live
  } // no answer: maybe deleted, maybe not; it stays out of the traffic
}

const MIX: Array<[number, (t: Traffic, s: ServerHandle) => Promise<void>]> = [
  [30, personalised],
  [20, similar],
  [12, session],
  [5, popular],
  [15, ingest],
  [6, upsert],
  [2, remove],
];
const MIX_TOTAL = MIX.reduce((a, [w]) => a + w, 0);

function nextOperation(): (t: Traffic, s: ServerHandle) => Promise<void> {
  let r = Math.random() * MIX_TOTAL;
  for (const [w, op] of MIX) if ((r -= w) < 0) return op;
  return MIX[0][1];
}

/** One client: paced to its share of SOAK_RPS, never bursting to catch up, stopping at the deadline. */
async function client(t: Traffic): Promise<void> {
  const interval = (1000 * CONNECTIONS) / RPS;
  let next = performance.now() + Math.random() * interval;
  while (t.soak.sent < t.soak.maxRequests) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (performance.now() >= t.deadline) return;
    const alive = t.servers.filter((s) => s.exitedAt === undefined);
    if (!alive.length) return;
    // Both servers in turn at random, the dead one included: a crashed server shows as transport errors.
    await nextOperation()(t, pick(t.servers));
    next = Math.max(next + interval, performance.now());
  }
}

// ------------------------------------------------------------------------------------ jobs, RSS, reporting

interface JobWatch {
  kind: string;
  server: string;
  queuedAtS: number;
  jobId?: string;
  status: string;
  startedAtS?: number;
  finishedAtS?: number;
  error?: string;
}

async function startJob(
  t: Traffic,
  server: ServerHandle,
  route: 'POST /v1/admin/reindex' | 'POST /v1/admin/finetune',
  body: unknown,
): Promise<JobWatch> {
  const kind = route === 'POST /v1/admin/reindex' ? 'reindex (full)' : 'finetune';
  const reply = await call(t.soak, server, route, 'POST', route.slice(5), body);
  const queuedAtS = Math.round((performance.now() - t.soak.t0) / 1000);
  const jobId = (reply?.body as { jobId?: unknown } | undefined)?.jobId;
  const w: JobWatch = {
    kind,
    server: server.name,
    queuedAtS,
    status: reply ? `HTTP ${reply.status}` : 'no answer',
  };
  if (reply?.status === 202 && typeof jobId === 'string') {
    w.jobId = jobId;
    w.status = 'queued';
  }
  say(`[${queuedAtS}s] ${kind} queued on ${server.name}: ${w.jobId ?? w.status}`);
  return w;
}

async function pollJob(t: Traffic, w: JobWatch): Promise<void> {
  if (!w.jobId || w.status === 'succeeded' || w.status === 'failed') return;
  const s = t.servers.find((x) => x.exitedAt === undefined) ?? t.servers[0];
  const reply = await call(t.soak, s, 'GET /v1/admin/jobs/:id', 'GET', `/v1/admin/jobs/${w.jobId}`);
  const job = reply?.body as { status?: string; error?: string; progress?: { done: number; total: number } };
  if (reply?.status !== 200 || typeof job?.status !== 'string') return;
  const nowS = Math.round((performance.now() - t.soak.t0) / 1000);
  if (job.status !== w.status) {
    if (job.status === 'running') w.startedAtS = nowS;
    if (job.status === 'succeeded' || job.status === 'failed') w.finishedAtS = nowS;
    w.status = job.status;
    w.error = job.error;
    const progress = job.progress ? ` (${job.progress.done}/${job.progress.total})` : '';
    say(`[${nowS}s] ${w.kind}: ${job.status}${progress}${job.error ? `: ${job.error}` : ''}`);
  }
}

async function scenario(t: Traffic, jobs: JobWatch[]): Promise<void> {
  const span = t.deadline - t.soak.t0;
  const at = (f: number) => t.soak.t0 + span * f;
  const sleepUntil = async (when: number) => {
    const wait = when - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  const poll = async (until: number) => {
    while (performance.now() < until) {
      for (const w of jobs) await pollJob(t, w);
      await sleepUntil(Math.min(until, performance.now() + 10_000));
    }
  };
  await sleepUntil(at(FINETUNE_AT));
  if (performance.now() < t.deadline)
    jobs.push(await startJob(t, t.servers[1], 'POST /v1/admin/finetune', {}));
  await poll(at(REINDEX_AT));
  if (performance.now() < t.deadline)
    jobs.push(await startJob(t, t.servers[0], 'POST /v1/admin/reindex', { full: true }));
  await poll(t.deadline);
  for (const w of jobs) await pollJob(t, w);
}

/**
 * The server's V8 heap (used and reserved) and external memory (buffers, typed arrays) beside its RSS, from
 * prom-client's default metrics: tells garbage waiting for a full collection (heap used saws, RSS follows)
 * from memory held outside the heap, and that from native memory V8 knows nothing of (RSS minus both).
 */
async function v8Heap(
  s: ServerHandle,
): Promise<{ heapUsedMb?: number; heapTotalMb?: number; externalMb?: number }> {
  try {
    const res = await fetch(`${s.running.url}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    const metric = (name: string) => {
      const m = new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text);
      return m ? Math.round(Number(m[1]) / 2 ** 20) : undefined;
    };
    return {
      heapUsedMb: metric('nodejs_heap_size_used_bytes'),
      heapTotalMb: metric('nodejs_heap_size_total_bytes'),
      externalMb: metric('nodejs_external_memory_bytes'),
    };
  } catch {
    return {};
  }
}

async function sampleRss(t: Traffic): Promise<void> {
  let detailedAt = -Infinity;
  while (performance.now() < t.deadline) {
    const detailed = performance.now() - detailedAt >= RSS_EVERY_MS - 1;
    if (detailed) detailedAt = performance.now();
    for (const s of t.servers) {
      const pid = s.running.child.pid;
      const mb = pid === undefined ? undefined : rssMb(pid);
      if (pid === undefined || mb === undefined) continue;
      const peaks = t.soak.rssPeaks.get(s.name) ?? [];
      peaks.push({ at: performance.now(), mb });
      t.soak.rssPeaks.set(s.name, peaks);
      if (!detailed) continue;
      const series = t.soak.rss.get(s.name) ?? [];
      series.push({ at: performance.now(), mb, treeMb: treeRssMb(pid) ?? mb, ...(await v8Heap(s)) });
      t.soak.rss.set(s.name, series);
    }
    const wait = Math.min(RSS_PEAK_EVERY_MS, t.deadline - performance.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

interface RssVerdict {
  server: string;
  perMinutePeakMb: number[];
  perMinuteTreePeakMb: number[];
  baselineMinute: number;
  baselineMb: number;
  lastMb: number;
  ratio: number;
  pass: boolean;
}

function rssVerdict(soak: Soak, server: string, minutes: number): RssVerdict {
  const minuteOf = (at: number) => Math.min(minutes - 1, Math.floor((at - soak.t0) / 60_000));
  const peaks: number[] = Array.from({ length: minutes }, () => NaN);
  const treePeaks: number[] = Array.from({ length: minutes }, () => NaN);
  for (const s of soak.rssPeaks.get(server) ?? []) {
    const m = minuteOf(s.at);
    peaks[m] = Number.isNaN(peaks[m]) ? s.mb : Math.max(peaks[m], s.mb);
  }
  for (const s of soak.rss.get(server) ?? []) {
    const m = minuteOf(s.at);
    treePeaks[m] = Number.isNaN(treePeaks[m]) ? s.treeMb : Math.max(treePeaks[m], s.treeMb);
  }
  // The third minute is past start-up warming; a run shorter than four minutes can only compare with its first.
  const baselineMinute = minutes >= 4 ? 3 : 1;
  const baselineMb = peaks[baselineMinute - 1];
  const lastMb = peaks[minutes - 1];
  const ratio = lastMb / baselineMb;
  return {
    server,
    perMinutePeakMb: peaks.map((x) => Math.round(x)),
    perMinuteTreePeakMb: treePeaks.map((x) => Math.round(x)),
    baselineMinute,
    baselineMb: Math.round(baselineMb),
    lastMb: Math.round(lastMb),
    ratio: Math.round(ratio * 1000) / 1000,
    pass: Number.isFinite(ratio) && ratio <= 1 + RSS_TOLERANCE,
  };
}

function report(t: Traffic, jobs: JobWatch[], seconds: number, served: ServedModels): boolean {
  const { soak } = t;
  const minutes = Math.max(1, Math.ceil(seconds / 60 - 1e-9));
  say();
  say(
    `soak: ${seconds.toFixed(0)} s, ${soak.sent} requests (${fmt(soak.sent / seconds)} req/s) over ${t.servers.length} servers`,
  );
  say();
  say(
    `${'route'.padEnd(36)} ${'count'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  statuses`,
  );
  const routes: Record<string, unknown> = {};
  const byStatus = new Map<number, number>();
  const transport = new Map<string, number>();
  for (const [name, r] of [...soak.routes].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...r.latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    for (const [st, n] of r.statuses) byStatus.set(st, (byStatus.get(st) ?? 0) + n);
    for (const [k, n] of r.transport) transport.set(k, (transport.get(k) ?? 0) + n);
    const statuses = [...r.statuses].sort(([a], [b]) => a - b).map(([st, n]) => `${st}×${n}`);
    const lost = [...r.transport].map(([k, n]) => `${k}×${n}`);
    say(
      `${name.padEnd(36)} ${String(sorted.length + [...r.transport.values()].reduce((a, b) => a + b, 0)).padStart(7)} ${fmt(p50).padStart(8)} ${fmt(p99).padStart(8)}  ${[...statuses, ...lost].join(' ')}`,
    );
    routes[name] = {
      count: sorted.length,
      p50ms: Math.round(p50 * 10) / 10,
      p99ms: Math.round(p99 * 10) / 10,
      statuses: Object.fromEntries(r.statuses),
      transportErrors: Object.fromEntries(r.transport),
    };
  }
  const fiveXx = [...byStatus].filter(([st]) => st >= 500).reduce((a, [, n]) => a + n, 0);
  const errorsByStatus = Object.fromEntries(
    [...byStatus].filter(([st]) => st >= 300).sort(([a], [b]) => a - b),
  );
  const lost = [...transport.values()].reduce((a, b) => a + b, 0);
  say();
  say(
    `responses ≥ 300 by status: ${JSON.stringify(errorsByStatus)}; no answer: ${JSON.stringify(Object.fromEntries(transport))}`,
  );

  say();
  say('per minute:');
  say(
    `${'min'.padStart(4)} ${'requests'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'5xx'.padStart(5)} ${'4xx/3xx'.padStart(8)} ${'lost'.padStart(5)} ${'served-deleted'.padStart(15)}`,
  );
  soak.minutes.slice(0, minutes).forEach((m, i) => {
    const sorted = [...m.latencies].sort((a, b) => a - b);
    say(
      `${String(i + 1).padStart(4)} ${String(m.requests).padStart(9)} ${fmt(percentile(sorted, 50)).padStart(8)} ${fmt(percentile(sorted, 99)).padStart(8)} ${String(m.fiveXx).padStart(5)} ${String(m.otherNon2xx).padStart(8)} ${String(m.transport).padStart(5)} ${String(m.violations).padStart(15)}`,
    );
  });

  say();
  say(
    `RSS per minute (peak MB of the server process, read every ${RSS_PEAK_EVERY_MS / 1000} s; in brackets with its child processes, every ${RSS_EVERY_MS / 1000} s):`,
  );
  const rss = t.servers.map((s) => rssVerdict(soak, s.name, minutes));
  for (const v of rss) {
    const cells = v.perMinutePeakMb.map(
      (mb, i) =>
        `${i + 1}: ${Number.isFinite(mb) ? mb : '–'} [${Number.isFinite(v.perMinuteTreePeakMb[i]) ? v.perMinuteTreePeakMb[i] : '–'}]`,
    );
    say(`  ${v.server}  ${cells.join('  ')}`);
  }
  for (const s of t.servers) {
    const series = soak.rss.get(s.name) ?? [];
    say(
      `  ${s.name} samples every ${RSS_EVERY_MS / 1000} s: ${series.map((x) => Math.round(x.mb)).join(' ')}`,
    );
    say(
      `  ${s.name} V8 heap used/reserved/external MB at those samples: ${series.map((x) => `${x.heapUsedMb ?? '–'}/${x.heapTotalMb ?? '–'}/${x.externalMb ?? '–'}`).join(' ')}`,
    );
    // Growth here with a flat heap is native memory (the allocator's retention, native libraries), not garbage.
    const outside = Array.from({ length: minutes }, () => [] as number[]);
    for (const x of series) {
      if (x.heapTotalMb === undefined || x.externalMb === undefined) continue;
      outside[Math.min(minutes - 1, Math.floor((x.at - soak.t0) / 60_000))].push(
        x.mb - x.heapTotalMb - x.externalMb,
      );
    }
    say(
      `  ${s.name} outside the V8 heap (RSS − heap reserved − external), mean MB per minute: ${outside
        .map((v, i) => `${i + 1}: ${v.length ? Math.round(v.reduce((a, b) => a + b, 0) / v.length) : '–'}`)
        .join('  ')}`,
    );
    if (s.exitedAt !== undefined)
      say(`  ${s.name} EXITED at ${Math.round((s.exitedAt - soak.t0) / 1000)} s with code ${s.exitCode}`);
  }

  say();
  say('jobs started mid-run:');
  for (const w of jobs)
    say(
      `  ${w.kind} on ${w.server}: queued at ${w.queuedAtS} s, ${w.status}` +
        `${w.startedAtS !== undefined ? `, running from ${w.startedAtS} s` : ''}` +
        `${w.finishedAtS !== undefined ? `, finished at ${w.finishedAtS} s` : ' (not finished when the soak ended)'}` +
        `${w.error ? `: ${w.error}` : ''}`,
    );
  if (!jobs.length) say('  none (the run ended first)');

  const v = soak.violations;
  const cross = v.filter((x) => x.deletedBy !== x.listServer).length;
  const distinct = new Set(v.map((x) => x.itemId)).size;
  say();
  say(
    `deletes acknowledged: ${soak.route('DELETE /v1/items/:id').statuses.get(204) ?? 0}, deleted at the end: ${soak.ledger.deletedCount}, new items: ${t.catalog.newItems}`,
  );
  say(
    `deleted items served ≥ ${GRACE_MS / 1000} s after the acknowledged delete: ${v.length} (${distinct} distinct items; ${cross} deleted through the other server, ${v.length - cross} through the same one)`,
  );
  for (const x of v.slice(0, 10))
    say(
      `  at ${x.atSecond} s ${x.route} on ${x.listServer} served ${x.itemId}, deleted through ${x.deletedBy} ${fmt(x.deletedForMs / 1000)} s before the request (${x.request})${x.probe ? `\n    ${x.probe}` : ''}`,
    );

  const bars = {
    zero5xx: fiveXx === 0,
    zeroDeletedServed: v.length === 0,
    rssFlat: rss.every((r) => r.pass),
    noLostRequests: lost === 0 && t.servers.every((s) => s.exitedAt === undefined),
    oneModel: served.agree,
  };
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  say();
  say('bars:');
  say(`  ${verdict(bars.zero5xx)}  zero 5xx (${fiveXx})`);
  say(
    `  ${verdict(bars.zeroDeletedServed)}  zero deleted items served ${GRACE_MS / 1000} s after the acknowledged delete (${v.length})`,
  );
  for (const r of rss)
    say(
      `  ${verdict(r.pass)}  RSS of ${r.server} flat: last minute's peak ${r.lastMb} MB ≤ ${100 + RSS_TOLERANCE * 100} % of minute ${r.baselineMinute}'s ${r.baselineMb} MB (${fmt(r.ratio * 100, 0)} %)`,
    );
  say(
    `  ${verdict(bars.noLostRequests)}  every request answered and both servers alive (${lost} without an answer)`,
  );
  say(
    `  ${verdict(bars.oneModel)}  both servers serve one model at the end: ${served.models.map((m) => `${m.server} ${m.model}`).join(', ')}${served.agree ? ` (agreed ${fmt(served.afterMs / 1000)} s after the traffic)` : ` (still apart ${AGREE_WITHIN_MS / 1000} s after the traffic)`}`,
  );
  if (minutes < 4)
    say('  (a run shorter than 4 minutes compares RSS with its first minute, which includes warm-up)');
  const pass = Object.values(bars).every(Boolean);
  say(`  ${verdict(pass)}  overall`);

  if (JSON_OUT)
    say(
      JSON.stringify({
        bench: 'soak',
        minutes: MINUTES,
        seconds: Math.round(seconds),
        rps: RPS,
        connections: CONNECTIONS,
        requests: soak.sent,
        routes,
        fiveXx,
        errorsByStatus,
        transportErrors: Object.fromEntries(transport),
        deletedServed: {
          count: v.length,
          distinctItems: distinct,
          throughOtherServer: cross,
          examples: v.slice(0, 10),
        },
        rss,
        jobs,
        servedModels: served,
        bars,
        pass,
      }),
    );
  return pass;
}

// ------------------------------------------------------------------------------------------------------ main

/**
 * Waits (at most a minute) until a server has computed its warm list cache, when its stats report one: that
 * start-up pass would otherwise be the first minute's latency, not the traffic's.
 */
async function waitForWarmLists(s: ServerHandle): Promise<void> {
  const until = performance.now() + 60_000;
  while (performance.now() < until) {
    let stats: { listCache?: { warming?: boolean; lastPassAt?: string | null } | null } = {};
    try {
      const res = await fetch(`${s.running.url}/v1/admin/stats`, {
        headers: { 'x-api-key': API_KEY },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      stats = (await res.json()) as typeof stats;
    } catch {
      return; // no stats to go by: start anyway
    }
    const cache = stats.listCache;
    if (!cache || (!cache.warming && cache.lastPassAt)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  say(`server ${s.name}: list cache still warming after 60 s; starting anyway`);
}

interface ServedModels {
  agree: boolean;
  /** When they agreed, counted from the end of the traffic. */
  afterMs: number;
  models: Array<{ server: string; model: string }>;
}

/**
 * The model each server serves (its active version and its index: version and build time), asked until they agree
 * or AGREE_WITHIN_MS passes. Another process's activation or published index reaches a server through the change
 * feed, so right after a job ends the two may differ for a moment; they must not stay apart.
 */
async function servedModels(servers: ServerHandle[]): Promise<ServedModels> {
  const start = performance.now();
  for (;;) {
    const models = await Promise.all(
      servers.map(async (s) => {
        try {
          const res = await fetch(`${s.running.url}/v1/admin/stats`, {
            headers: { 'x-api-key': API_KEY },
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
          const stats = (await res.json()) as {
            activeModel?: string | null;
            index?: { modelVersion?: string; builtAt?: string } | null;
          };
          const index = stats.index ? `${stats.index.modelVersion} built ${stats.index.builtAt}` : 'none';
          return { server: s.name, model: `active ${stats.activeModel ?? 'none'}, index ${index}` };
        } catch (e) {
          return { server: s.name, model: `no stats (${(e as Error).message})` };
        }
      }),
    );
    const afterMs = performance.now() - start;
    const agree = models.every((m) => !m.model.startsWith('no stats') && m.model === models[0].model);
    if (agree || afterMs >= AGREE_WITHIN_MS) return { agree, afterMs, models };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * How each server's held session sets fared under the soak's catalog writes (hits, and sets dropped because an
 * item they read changed) and where its session lists were gathered.
 */
async function sayListStats(servers: ServerHandle[]): Promise<void> {
  for (const s of servers) {
    try {
      const res = await fetch(`${s.running.url}/v1/admin/stats`, {
        headers: { 'x-api-key': API_KEY },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const stats = (await res.json()) as { sessionCache?: unknown; sessionThread?: unknown };
      say(`server ${s.name} session sets held: ${JSON.stringify(stats.sessionCache ?? null)}`);
      say(`server ${s.name} session thread: ${JSON.stringify(stats.sessionThread ?? null)}`);
    } catch (e) {
      say(`server ${s.name}: no stats (${(e as Error).message})`);
    }
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  await prepareBase();
  const url = await copyBase();
  const liveIds = (await query<{ id: string }>(url, 'SELECT id FROM items WHERE deleted_at IS NULL')).map(
    (r) => r.id,
  );
  const users = (
    await query<{ user_id: string }>(url, "SELECT DISTINCT user_id FROM events WHERE type = 'purchase'")
  ).map((r) => r.user_id);
  if (!liveIds.length || !users.length) throw new Error('the prepared database has no items or no buyers');

  const env = {
    DATABASE_URL: url,
    DATA_DIR,
    API_KEYS: `${API_KEY}:read+write+admin`,
    ...FINETUNE_ENV,
  };
  const servers: ServerHandle[] = [];
  const stopAll = () => Promise.all(servers.map((s) => s.running.stop()));
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    say('interrupted: stopping the servers');
    void stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // One at a time: the first rebuilds the index from the stored vectors and publishes it, the second loads it.
    for (const [i, port] of PORTS.entries()) {
      const name = i === 0 ? 'A' : 'B';
      const started = performance.now();
      const running = await startServer(env, port, path.join(DATA_DIR, `server-${name}.log`));
      const handle: ServerHandle = { name, running };
      running.child.once('exit', (code) => {
        handle.exitedAt = performance.now();
        handle.exitCode = code;
      });
      servers.push(handle);
      say(
        `server ${name} ready on ${running.url} (pid ${running.child.pid}) in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    await Promise.all(servers.map((s) => waitForWarmLists(s)));
    const seconds = MINUTES * 60;
    const soak = new Soak(Math.ceil(RPS * seconds * 1.2));
    const t: Traffic = {
      soak,
      servers,
      catalog: new Catalog(liveIds),
      users,
      runId: randomBytes(4).toString('hex'),
      deadline: 0,
      dbUrl: url,
    };
    soak.t0 = performance.now();
    t.deadline = soak.t0 + seconds * 1000;
    say(
      `soaking for ${MINUTES} min at ${RPS} req/s over ${CONNECTIONS} clients (${liveIds.length} items, ${users.length} buyers); fine-tune at ${Math.round(seconds * FINETUNE_AT)} s, full reindex at ${Math.round(seconds * REINDEX_AT)} s`,
    );
    const progress = setInterval(() => {
      const m = soak.minutes.at(-1);
      say(
        `[${Math.round((performance.now() - soak.t0) / 1000)}s] ${soak.sent} requests, ${soak.violations.length} deleted-served, minute ${soak.minutes.length}: 5xx ${m?.fiveXx ?? 0}, lost ${m?.transport ?? 0}`,
      );
    }, 60_000);
    const jobs: JobWatch[] = [];
    await Promise.all([
      ...Array.from({ length: CONNECTIONS }, () => client(t)),
      scenario(t, jobs),
      sampleRss(t),
    ]);
    clearInterval(progress);
    await sayListStats(servers);
    const elapsed = (performance.now() - soak.t0) / 1000;
    const served = await servedModels(servers);
    const pass = report(t, jobs, Math.min(elapsed, seconds), served);
    process.exitCode = pass ? 0 : 1;
  } finally {
    await stopAll();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
