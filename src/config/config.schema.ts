import * as path from 'node:path';
import { validateCronExpression } from 'cron';
import { z } from 'zod';
import { DEFAULT_BUYERS, type BuyerWeighting } from '../ranking/item-knn';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);

const BYTE_SIZE = /^\d+(b|kb|mb|gb)$/i;
/** A size such as 64mb, read as a number of bytes (at least one). */
const byteSizeSchema = (def: string) =>
  z
    .string()
    .regex(BYTE_SIZE, 'must look like 64mb, 512kb or 1000000b')
    .default(def)
    .transform((v) => byteSize(v))
    .refine((n) => n > 0, 'must be more than 0 bytes');

/** As byteSizeSchema, where 0 (with or without a unit) turns off what the size bounds. */
const byteSizeOrOffSchema = (def: string) =>
  z
    .string()
    .regex(/^(0|\d+(b|kb|mb|gb))$/i, 'must look like 64mb, 512kb or 1000000b, or 0 for off')
    .default(def)
    .transform((v) => (v === '0' ? 0 : byteSize(v)));

/** One API key as configured in API_KEYS: `key:scope+scope`. */
export type Scope = 'read' | 'write' | 'admin';
export interface ApiKey {
  key: string;
  scopes: ReadonlySet<Scope>;
}

const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

/**
 * A secret that resolves to nothing must not open the API: a set-but-empty API_KEYS, an empty entry (a stray
 * comma) or a repeated key (whose scopes would depend on which entry wins) stops the process. Open mode is
 * only ever the variable being unset. Messages name positions, never the keys themselves.
 */
const apiKeys = z.string().transform((raw, ctx): ApiKey[] => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if (raw.trim() === '')
    return fail('is set but empty: list key:scope entries, or unset it to run without keys (open API)');
  const keys: ApiKey[] = [];
  const positions = new Map<string, number>();
  const parts = raw.split(',').map((p) => p.trim());
  for (const [i, part] of parts.entries()) {
    const n = i + 1;
    if (part === '') return fail(`entry ${n} is empty (a stray comma?)`);
    const sep = part.lastIndexOf(':');
    const key = sep > 0 ? part.slice(0, sep) : '';
    const scopes = sep > 0 ? part.slice(sep + 1).split('+') : [];
    if (!key || scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s as Scope))) {
      return fail(`entry ${n} must look like key:read+write+admin (scopes: read, write, admin)`);
    }
    if (/\s/.test(key)) return fail(`entry ${n}: a key must not contain whitespace`);
    const first = positions.get(key);
    if (first !== undefined) {
      return fail(`entry ${n} repeats the key of entry ${first}: give each key once, with all its scopes`);
    }
    positions.set(key, n);
    keys.push({ key, scopes: new Set(scopes as Scope[]) });
  }
  return keys;
});

/** Every environment variable the service reads, with its default. README "Configuration" mirrors this. */
export const envSchema = z.object({
  DB_POOL_MAX: positiveInt(10),
  DB_CONNECT_TIMEOUT_MS: positiveInt(5000),
  DB_STATEMENT_TIMEOUT_MS: positiveInt(30000),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DATA_DIR: z.string().min(1).default('./.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  API_KEYS: apiKeys.optional(),
  ENCODER_MODEL: z.string().min(1).default('builtin:use-lite-512'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  LOG_REQUEST_CONTEXT: z.enum(['off', 'on']).default('off'),
  HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(1000).default(100),
  MIGRATIONS_RUN: bool.default(true),
  BODY_LIMIT: z.string().regex(BYTE_SIZE, 'must look like 5mb, 512kb or 1000000b').default('5mb'),
  MAX_BATCH: positiveInt(1000),
  EMBED_WORKERS: positiveInt(1),
  EMBED_BATCH: positiveInt(64),
  EMBED_QUEUE_MAX: positiveInt(32),
  EMBED_BULK_EVERY: positiveInt(4),
  SESSION_EMBED_MAX: z.coerce.number().int().min(0).max(100).default(20),
  REINDEX_DEBOUNCE_MS: z.coerce.number().int().min(0).default(5000),
  REINDEX_PROCESS: z.enum(['child', 'inline']).default('child'),
  JOBS_POLL_MS: positiveInt(1000),
  JOBS_WORKER: bool.default(true),
  FINETUNE_CRON: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || v === '' || validateCronExpression(v).valid,
      'must be a cron expression, e.g. "0 3 * * *"',
    ),
  COPURCHASE_DEBOUNCE_MS: z.coerce.number().int().min(0).default(60000),
  COPURCHASE_MAX_BUSY_SHARE: z.coerce.number().gt(0).max(1).default(0.1),
  COPURCHASE_PROCESS: z.enum(['child', 'inline']).default('child'),
  COPURCHASE_BUYER_DAMPING: z.coerce.number().min(0).max(4).default(DEFAULT_BUYERS.damping),
  COPURCHASE_MAX_BUYER_ITEMS: z.coerce.number().int().min(0).default(DEFAULT_BUYERS.maxItems),
  COPURCHASE_CRON: z
    .string()
    .optional()
    .refine(
      (v) => v === undefined || v === '' || validateCronExpression(v).valid,
      'must be a cron expression, e.g. "30 2 * * *"',
    ),
  PROFILE_MAX_EVENTS: positiveInt(1000),
  PROFILE_CACHE_MAX_BYTES: byteSizeSchema('64mb'),
  PROFILE_HALF_LIFE_DAYS: z.coerce.number().positive().default(60),
  LEARN_FROM: z.enum(['auto', 'purchase', 'rating', 'add_to_cart', 'view']).default('auto'),
  LEARN_FROM_MIN_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  WEIGHT_PURCHASE: z.coerce.number().min(0).default(1),
  WEIGHT_ADD_TO_CART: z.coerce.number().min(0).default(0.5),
  WEIGHT_VIEW: z.coerce.number().min(0).default(0.2),
  STATS_REFRESH_MS: z.coerce.number().int().min(0).default(600000),
  SYNC_INTERVAL_MS: positiveInt(30000),
  RECS_CACHE_TTL_MS: z.coerce.number().int().min(0).default(300000),
  RECS_CACHE_MAX_USERS: positiveInt(100000),
  RECS_CACHE_MAX_LISTS_PER_USER: positiveInt(16),
  RECS_CACHE_MAX_LISTS: positiveInt(200000),
  RECS_CACHE_MAX_BYTES_PER_USER: byteSizeSchema('256kb'),
  RECS_CACHE_MAX_BYTES: byteSizeSchema('256mb'),
  RECS_WARM_USERS: z.coerce.number().int().min(0).default(10000),
  RECS_NEW_ITEM_SLOTS: z.coerce.number().int().min(0).max(100).default(1),
  RECS_NEW_ITEM_SHARE: z.coerce.number().min(0).max(1).default(0.3),
  SESSION_THREAD: z.enum(['auto', 'on', 'off']).default('auto'),
  SESSION_THREAD_SHARE: bool.default(true),
  // Every product page of a 100k-item shop: a list not held is ranked per request, ~10x a held one's CPU.
  RECS_SIMILAR_CACHE_ITEMS: z.coerce.number().int().min(0).default(100000),
  RECS_SESSION_CACHE_MAX_BYTES: byteSizeOrOffSchema('64mb'),
  RECS_SESSION_CACHE_HOLD_FROM: z.coerce
    .number()
    .int()
    .refine((n) => n === 1 || n === 2, 'must be 1 (the first ask) or 2 (the second)')
    .default(2),
  RECS_REPEAT_HALF_LIFE_DAYS: z.coerce.number().positive().max(3650).default(60),
  NEW_ARRIVAL_DAYS: z.coerce.number().positive().max(3650).default(30),
  NEW_ARRIVAL_IMPRESSIONS_PER_CLICK: z.coerce.number().int().min(0).default(200),
  NEW_ARRIVAL_EXPOSURE_REFRESH_MS: positiveInt(60000),
  INDEX_EF_SEARCH: z.coerce.number().int().min(10).max(5000).optional(),
  FINETUNE_EPOCHS: positiveInt(3),
  FINETUNE_BATCH_SIZE: z.coerce.number().int().min(2).max(8192).default(512),
  FINETUNE_CONTEXT_ITEMS: z.coerce.number().int().min(0).default(256),
  FINETUNE_MAX_TRAINING_MINUTES: z.coerce.number().min(0).default(60),
  FINETUNE_LR_END: z.coerce.number().gt(0).max(1).default(0.1),
  FINETUNE_DIM: positiveInt(128),
  FINETUNE_VALIDATION_DAYS: z.coerce.number().int().min(1).default(14),
  FINETUNE_MIN_GAIN: z.coerce.number().default(0),
  FINETUNE_KEEP_VERSIONS: positiveInt(5),
  FINETUNE_SEED: z.coerce.number().int().default(42),
  FINETUNE_RETRAIN_FULL: bool.default(true),
  FINETUNE_PARALLEL: bool.default(true),
  FINETUNE_PROCESS: z.enum(['child', 'inline']).default('child'),
  SERVED_LISTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  SERVED_LISTS_QUEUE_MAX: z.coerce.number().int().min(0).default(50000),
  ANALYTICS_ROLLUP_INTERVAL_MS: z.coerce.number().int().min(1000).default(300000),
  ATTRIBUTION_WINDOW_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
});

export type Env = z.infer<typeof envSchema>;

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A byte size ("5mb", "512kb", "1000000b", as validated above) in bytes. */
export function byteSize(limit: string): number {
  const m = /^(\d+)(b|kb|mb|gb)$/i.exec(limit);
  if (!m) throw new ConfigError(`not a byte size: ${limit}`);
  return Number(m[1]) * BYTE_UNITS[m[2].toLowerCase()];
}

/** How long the service waits on PostgreSQL before answering 503, and how many connections it holds. */
export interface DatabaseLimits {
  poolMax: number;
  /** Opening a connection, or waiting for a free one when the pool is full. */
  connectTimeoutMs: number;
  /** One statement, on the server; the client gives up a little later if the server does not answer at all. */
  statementTimeoutMs: number;
}

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  database: DatabaseLimits;
  dataDir: string;
  embeddedPgPort: number;
  apiKeys: ApiKey[] | undefined;
  encoderModel: string;
  logLevel: Env['LOG_LEVEL'];
  /** `aisle serve`: old-generation growth past the live heap before a full GC (common/heap-growth.ts). */
  heapGrowthPercent: number;
  /** `auto`: readable lines when the log goes to a terminal, JSON lines otherwise. */
  logFormat: Env['LOG_FORMAT'];
  /**
   * `on`: every line logged while a request is handled carries its id (an AsyncLocalStorage context per request,
   * which on Node 20 costs every promise a hook); `off`: the request's own line and its error lines do.
   */
  logRequestContext: Env['LOG_REQUEST_CONTEXT'];
  migrationsRun: boolean;
  bodyLimit: string;
  maxBatch: number;
  embedWorkers: number;
  embedBatch: number;
  /** Interactive encoder batches that may wait; beyond it requests that need the encoder get 503. */
  embedQueueMax: number;
  /** After this many interactive encoder batches in a row, one bulk (reindex) batch runs. */
  embedBulkEvery: number;
  /** Session items missing from the index that one request may embed on the spot. */
  sessionEmbedMax: number;
  reindexDebounceMs: number;
  jobsPollMs: number;
  /** Whether this server claims queued jobs (false: an API replica that leaves them to a worker). */
  jobsWorker: boolean;
  finetuneCron: string | undefined;
  /** Quiet period after purchase events before a co-purchase rebuild is queued; 0 = never automatically. */
  copurchaseDebounceMs: number;
  /**
   * COPURCHASE_MAX_BUSY_SHARE: rebuilds triggered by events or deletions wait until the last run is
   * (1 − share) / share of its own length behind, so the job is busy at most this share of the time.
   */
  copurchaseMaxBusyShare: number;
  /** Built-in schedule of the co-purchase rebuild (defaults to the fine-tune's, so "nightly" means both). */
  copurchaseCron: string | undefined;
  /** Where a server runs the co-purchase job: a child process it starts for the job, or its own process. */
  copurchaseProcess: 'child' | 'inline';
  /** Co-purchase neighbours: how much each buyer counts (ranking/item-knn.ts). */
  copurchaseBuyers: BuyerWeighting;
  /** Where a server runs the reindex job: a child process it starts for the job, or its own process. */
  reindexProcess: 'child' | 'inline';
  profileMaxEvents: number;
  /** Estimated memory of the cached event histories behind profiles. */
  profileCacheMaxBytes: number;
  profileHalfLifeDays: number;
  /** LEARN_FROM: the event type (and those stronger) signals and the fine-tune read as purchases; `auto` resolves it. */
  learnFrom: 'auto' | 'purchase' | 'rating' | 'add_to_cart' | 'view';
  /**
   * LEARN_FROM_MIN_SHARE: under `auto`, the share of the learnable events a type (with the stronger ones) must
   * make up to be learned from alone; a rarer one (a few orders beside a clickstream) is learned with the weaker.
   */
  learnFromMinShare: number;
  eventWeights: { purchase: number; add_to_cart: number; view: number };
  statsRefreshMs: number;
  syncIntervalMs: number;
  /** How long a personalised list is reused while nothing it depends on changed (0: never). */
  recsCacheTtlMs: number;
  recsCacheMaxUsers: number;
  /** Bounds of that cache besides users: lists and estimated bytes, per user and in total. */
  recsCacheMaxListsPerUser: number;
  recsCacheMaxLists: number;
  recsCacheMaxBytesPerUser: number;
  recsCacheMaxBytes: number;
  /** Most recently active users whose default list is kept computed in the cache (0: none). */
  recsWarmUsers: number;
  /** Places of a discovery or session list kept for new arrivals among its candidates (0: none). */
  recsNewItemSlots: number;
  /** The share of shoppers (per day) whose discovery and session lists keep those places (newArrivalPlaces). */
  recsNewItemShare: number;
  /** Whether session lists gather their candidates on a thread of their own (`auto`: with two cores or more). */
  sessionThread: 'auto' | 'on' | 'off';
  /**
   * Whether the main thread, between its turns of I/O, takes over lists waiting on the session thread behind
   * another waiting one (SessionThread's sharing), rather than leave its core idle while the thread has a queue.
   */
  sessionThreadShare: boolean;
  /** Items whose ranked similar list is held per index/co-purchase/blend generation (0: ranked per request). */
  recsSimilarCacheItems: number;
  /** Estimated memory of the gathered session candidate sets held for repeated carts (0: none held). */
  recsSessionCacheMaxBytes: number;
  /** The ask of a cart from which its candidate set is held: 2 leaves carts asked once out. */
  recsSessionCacheHoldFrom: 1 | 2;
  /** Days an unsold item counts as a new arrival after its `availableFrom`; unsold after that: dead stock. */
  newArrivalDays: number;
  /** Explore/exploit: impressions a new arrival keeps its place for, per click earned plus one (0: off). */
  newArrivalImpressionsPerClick: number;
  /** How often a server re-reads new arrivals' impressions and clicks from the served lists. */
  newArrivalExposureRefreshMs: number;
  /** Days after which an own purchase counts half as recent when ranking it for buying again. */
  recsRepeatHalfLifeDays: number;
  indexEfSearch: number | undefined;
  /** Days a served list is kept for attribution and analytics. */
  servedListsRetentionDays: number;
  /** Served lists waiting to be written; beyond it new ones are dropped (and counted), never awaited. 0: none written. */
  servedListsQueueMax: number;
  /** How often a server brings the daily analytics rollups up to date. */
  analyticsRollupIntervalMs: number;
  /** How long after a list was shown a purchase of one of its items without recommId counts as estimated. */
  attributionWindowHours: number;
  finetune: {
    epochs: number;
    /** Fraction of the initial learning rate reached, linearly, at the last step (1: constant). */
    learningRateEnd: number;
    /** Pairs per training step; the other pairs of a batch are each row's negatives. */
    batchSize: number;
    /** The heaviest history items a training context keeps; 0: every one. */
    contextItems: number;
    /** Wall-clock budget of each model's training loop in minutes; 0: none. */
    maxTrainingMinutes: number;
    dim: number;
    validationDays: number;
    minGain: number;
    keepVersions: number;
    seed: number;
    retrainFull: boolean;
    /** Train the full-history model in a worker thread while the held-out one trains and is gated. */
    parallel: boolean;
    /** Where a server runs the job: a child process of its own (`child`) or its own process (`inline`). */
    process: 'child' | 'inline';
  };
}

export class ConfigError extends Error {}

/** Validates the environment once; a bad variable stops the process with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    database: {
      poolMax: e.DB_POOL_MAX,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    },
    dataDir: path.resolve(e.DATA_DIR),
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    apiKeys: e.API_KEYS,
    encoderModel: e.ENCODER_MODEL,
    logLevel: e.LOG_LEVEL,
    heapGrowthPercent: e.HEAP_GROWTH_PERCENT,
    logFormat: e.LOG_FORMAT,
    logRequestContext: e.LOG_REQUEST_CONTEXT,
    migrationsRun: e.MIGRATIONS_RUN,
    bodyLimit: e.BODY_LIMIT,
    maxBatch: e.MAX_BATCH,
    embedWorkers: e.EMBED_WORKERS,
    embedBatch: e.EMBED_BATCH,
    embedQueueMax: e.EMBED_QUEUE_MAX,
    embedBulkEvery: e.EMBED_BULK_EVERY,
    sessionEmbedMax: e.SESSION_EMBED_MAX,
    reindexDebounceMs: e.REINDEX_DEBOUNCE_MS,
    reindexProcess: e.REINDEX_PROCESS,
    jobsPollMs: e.JOBS_POLL_MS,
    jobsWorker: e.JOBS_WORKER,
    finetuneCron: e.FINETUNE_CRON || undefined,
    copurchaseDebounceMs: e.COPURCHASE_DEBOUNCE_MS,
    copurchaseMaxBusyShare: e.COPURCHASE_MAX_BUSY_SHARE,
    copurchaseCron: e.COPURCHASE_CRON || e.FINETUNE_CRON || undefined,
    copurchaseProcess: e.COPURCHASE_PROCESS,
    copurchaseBuyers: { damping: e.COPURCHASE_BUYER_DAMPING, maxItems: e.COPURCHASE_MAX_BUYER_ITEMS },
    profileMaxEvents: e.PROFILE_MAX_EVENTS,
    profileCacheMaxBytes: e.PROFILE_CACHE_MAX_BYTES,
    profileHalfLifeDays: e.PROFILE_HALF_LIFE_DAYS,
    learnFrom: e.LEARN_FROM,
    learnFromMinShare: e.LEARN_FROM_MIN_SHARE,
    eventWeights: { purchase: e.WEIGHT_PURCHASE, add_to_cart: e.WEIGHT_ADD_TO_CART, view: e.WEIGHT_VIEW },
    statsRefreshMs: e.STATS_REFRESH_MS,
    syncIntervalMs: e.SYNC_INTERVAL_MS,
    recsCacheTtlMs: e.RECS_CACHE_TTL_MS,
    recsCacheMaxUsers: e.RECS_CACHE_MAX_USERS,
    recsCacheMaxListsPerUser: e.RECS_CACHE_MAX_LISTS_PER_USER,
    recsCacheMaxLists: e.RECS_CACHE_MAX_LISTS,
    recsCacheMaxBytesPerUser: e.RECS_CACHE_MAX_BYTES_PER_USER,
    recsCacheMaxBytes: e.RECS_CACHE_MAX_BYTES,
    recsWarmUsers: e.RECS_WARM_USERS,
    recsNewItemSlots: e.RECS_NEW_ITEM_SLOTS,
    recsNewItemShare: e.RECS_NEW_ITEM_SHARE,
    sessionThread: e.SESSION_THREAD,
    sessionThreadShare: e.SESSION_THREAD_SHARE,
    recsSimilarCacheItems: e.RECS_SIMILAR_CACHE_ITEMS,
    recsSessionCacheMaxBytes: e.RECS_SESSION_CACHE_MAX_BYTES,
    recsSessionCacheHoldFrom: e.RECS_SESSION_CACHE_HOLD_FROM,
    recsRepeatHalfLifeDays: e.RECS_REPEAT_HALF_LIFE_DAYS,
    newArrivalDays: e.NEW_ARRIVAL_DAYS,
    newArrivalImpressionsPerClick: e.NEW_ARRIVAL_IMPRESSIONS_PER_CLICK,
    newArrivalExposureRefreshMs: e.NEW_ARRIVAL_EXPOSURE_REFRESH_MS,
    indexEfSearch: e.INDEX_EF_SEARCH,
    servedListsRetentionDays: e.SERVED_LISTS_RETENTION_DAYS,
    servedListsQueueMax: e.SERVED_LISTS_QUEUE_MAX,
    analyticsRollupIntervalMs: e.ANALYTICS_ROLLUP_INTERVAL_MS,
    attributionWindowHours: e.ATTRIBUTION_WINDOW_HOURS,
    finetune: {
      epochs: e.FINETUNE_EPOCHS,
      learningRateEnd: e.FINETUNE_LR_END,
      batchSize: e.FINETUNE_BATCH_SIZE,
      contextItems: e.FINETUNE_CONTEXT_ITEMS,
      maxTrainingMinutes: e.FINETUNE_MAX_TRAINING_MINUTES,
      dim: e.FINETUNE_DIM,
      validationDays: e.FINETUNE_VALIDATION_DAYS,
      minGain: e.FINETUNE_MIN_GAIN,
      keepVersions: e.FINETUNE_KEEP_VERSIONS,
      seed: e.FINETUNE_SEED,
      retrainFull: e.FINETUNE_RETRAIN_FULL,
      parallel: e.FINETUNE_PARALLEL,
      process: e.FINETUNE_PROCESS,
    },
  };
}
