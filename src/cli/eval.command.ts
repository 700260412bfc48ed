import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Command, Option } from 'commander';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import { CopurchaseJob } from '../copurchase/copurchase.job';
import { runMigrations } from '../database/database.bootstrap';
import { createScratchDatabase } from '../database/scratch-database';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { EncoderProvider, BUILTIN_ENCODER } from '../embeddings/encoder.provider';
import { contentRecommender } from '../evaluation/baseline-recommenders';
import { formatEvaluationTable, toEvaluationJson } from '../evaluation/evaluation.report';
import { evaluateOnlineRetail } from '../evaluation/online-retail-evaluation';
import { DEFAULT_CUTOFF } from '../evaluation/evaluation-split';
import { CRAWLER_ITEMS } from '../evaluation/crawlers';
import { visitsAsUsers } from '../evaluation/visits-as-users';
import { withOpaqueTitles } from '../evaluation/opaque-titles';
import { sentAtOnce } from '../evaluation/sent-at-once';
import type { Purchase } from '../evaluation/evaluation.types';
import { ImportService } from '../import/import.service';
import { LEARNABLE_TYPES, type LearnableType } from '../events/learning-events';
import { buildPurchaseMatrix } from '../ranking/purchase-matrix';
import { PurchaseSignalsService } from '../recommendations/purchase-signals.service';
import { RecommendationsService } from '../recommendations/recommendations.service';
import { IndexService } from '../vector-index/index.service';
import { FinetuneService } from '../training/finetune.service';
import { ReportedSummary, runCommand, withRuntime } from './command-runner';
import type { Runtime } from './context';
import { terminalProgress } from './progress';

/**
 * `aisle eval`: docs/evaluation.md on an Online Retail file. The engine is the product itself — a scratch
 * database receives the catalog and only the pre-cutoff events, the reindex, co-purchase job and model refresh run
 * as in production, and every test user is answered by the RecommendationsService that serves
 * GET /v1/users/:id/recommendations, with the clock set to the cutoff (which items are new arrivals, too).
 */
export async function runEval(
  rt: Runtime,
  file: string,
  opts: {
    cutoff?: Date;
    finetune?: boolean;
    /** The file as sequence data: evaluateOnlineRetail's `itemSequences`. */
    itemSequences?: boolean;
    /** The event type the shop's lines are stored as (default purchases): views stand for a clickstream. */
    eventsAs?: LearnableType;
    /** With `eventsAs` other than purchases, the share of lines also stored as purchases (storeOnlineRetail). */
    ordersShare?: number;
    /** The engine's events stored under one user per invoice (visitsAsUsers). */
    visitsAsUsers?: boolean;
    /** Every product title replaced by an opaque code (withOpaqueTitles): a shop whose text says nothing. */
    opaqueTitles?: boolean;
    /** The engine's events stamped as sent within the hour before the cutoff, in order (sentAtOnce). */
    sentAtOnce?: boolean;
    /** Accounts added that buy across the catalog before the cutoff, for the engine and the baselines (withCrawlers). */
    crawlers?: number;
    /**
     * Every list asked at the machine's clock, the purchase signals counted as of it: what a server answers after
     * a shop's old history was sent to it (the fine-tune still ends its history at the cutoff).
     */
    wallClock?: boolean;
    /** Only a fixed pick of about this share of the customers, for the engine and the baselines (withCustomerShare). */
    customerShare?: number;
    progress?: (phase: string, done: number, total: number) => void;
  },
): Promise<{ table: string; json: Record<string, unknown> }> {
  const cutoff = opts.cutoff ?? DEFAULT_CUTOFF;
  const progress = opts.progress ?? (() => undefined);
  const { url, drop } = await createScratchDatabase(rt.db.url, { prefix: 'aisle_eval' });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-eval-'));
  let trainSeconds = 0;
  let modelVersion = 'raw';
  let finetune: Record<string, unknown> | undefined;
  try {
    await runMigrations(url);
    // The encoder's model folder is shared with the real DATA_DIR; index files go to a scratch folder.
    const encoders = new EncoderProvider(rt.config);
    const model =
      rt.config.encoderModel === BUILTIN_ENCODER ? await encoders.prepare() : rt.config.encoderModel;
    const config = {
      ...rt.config,
      dataDir: scratch,
      encoderModel: model,
      logLevel: 'warn' as const,
      statsRefreshMs: 0,
    };
    const ctx = await NestFactory.createApplicationContext(
      AppModule.forRoot({ config, databaseUrl: url, logToStderr: true, longRunningServer: false }),
      { bufferLogs: true },
    );
    ctx.useLogger(ctx.get(Logger));
    try {
      const result = await evaluateOnlineRetail(file, {
        cutoff,
        itemSequences: opts.itemSequences,
        crawlers: opts.crawlers,
        customerShare: opts.customerShare,
        // The baselines see the shop as the engine does: a visit is all either knows of a shopper.
        baselineTraining: opts.visitsAsUsers ? visitsAsUsers : undefined,
        onLoadProgress: (p) => progress('load', p.rowsRead, 0),
        onEvaluateProgress: (p) => progress(`${p.protocol}:${p.method}`.slice(0, 24), p.done, p.total),
        extraRecommenders: async (split, data) => {
          const started = Date.now();
          // The shop knows its whole catalog, the products only guests bought included, each dated by its first
          // line in the file; only the events are cut at the cutoff.
          await ctx
            .get(ImportService)
            .storeOnlineRetail(
              opts.opaqueTitles
                ? withOpaqueTitles([...data.items, ...data.unsold])
                : [...data.items, ...data.unsold],
              stampedAsSent(
                opts.visitsAsUsers ? visitsAsUsers(split.training) : split.training,
                !!opts.sentAtOnce,
                cutoff,
              ),
              progress,
              opts.eventsAs,
              opts.ordersShare,
            );
          await ctx.get(CatalogSnapshot).reload();
          await ctx.get(EmbeddingsService).embedCatalog({ full: false }, (d, t) => progress('embed', d, t));
          const built = await ctx.get(IndexService).rebuild((d, t) => progress('index', d, t));
          modelVersion = built.modelVersion;
          // The co-purchase job as production runs it, as of the cutoff, then the service loads its result.
          await ctx.get(CopurchaseJob).runHere(cutoff, (d, t) => progress('copurchase', d, t));
          await ctx.get(PurchaseSignalsService).refresh(cutoff);
          if (opts.finetune ?? true) {
            // Exactly the nightly job, with "now" at the cutoff: nothing after it is seen.
            const ft = await ctx
              .get(FinetuneService)
              .finetune({ now: cutoff, progress: (d, t) => progress('finetune', d, t) });
            finetune = ft;
            if (ft.activated) modelVersion = ft.version;
          }
          trainSeconds = (Date.now() - started) / 1000;
          // A server counts its signals as of now, on start and every STATS_REFRESH_MS.
          if (opts.wallClock) await ctx.get(PurchaseSignalsService).refresh(new Date());
          const askedAt = () => (opts.wallClock ? new Date() : cutoff);

          const raw = (await ctx.get(EmbeddingsService).catalogVectors()).vectors;
          const recs = ctx.get(RecommendationsService);
          const stats = buildPurchaseMatrix(split.training);
          const listOpts = (k: number, exclude: ReadonlySet<string>) => ({
            limit: k,
            inStockOnly: false,
            exclude: [...exclude],
            includeItems: false,
            explain: false,
            diversity: 0,
            // Discovery passes the user's past items as `exclude`: that is what excludePurchased does.
            excludePurchased: exclude.size > 0,
          });
          // The projection alone: the same service with the co-purchase and repeat sources switched off.
          const projectionOnly = {
            ...recs.servedBlend({ excludePurchased: false }),
            knn: 0,
            repeat: 0,
            reorder: 0,
          };
          const projectionOnlyDiscovery = {
            ...recs.servedBlend({ excludePurchased: true }),
            knn: 0,
            repeat: 0,
            reorder: 0,
          };
          return {
            recommenders: {
              ...(modelVersion !== 'raw'
                ? {
                    projection: async (user: { userId: string }, k: number, exclude: ReadonlySet<string>) =>
                      (
                        await recs.forUser(
                          user.userId,
                          listOpts(k, exclude),
                          askedAt(),
                          exclude.size > 0 ? projectionOnlyDiscovery : projectionOnly,
                        )
                      ).items.map((i) => i.id),
                  }
                : {}),
              engine: async (user, k, exclude) => {
                const list = await recs.forUser(user.userId, listOpts(k, exclude), askedAt());
                return list.items.map((i) => i.id);
              },
              // The session protocol asks what POST /v1/recommendations answers for the session's items.
              'engine-session': async (user, k, exclude) => {
                const ids = [...new Set(user.history.map((p) => p.itemId))];
                const list = await recs.session(ids, undefined, listOpts(k, exclude), askedAt());
                return list.items.map((i) => i.id);
              },
              content: contentRecommender({
                candidates: data.items.map((i) => i.id),
                vectorOf: (id) => raw.get(id),
                popularity: stats.popularity,
              }),
            },
            restrictTo: {
              engine: ['next-basket', 'discovery'],
              projection: ['next-basket', 'discovery'],
              content: ['next-basket', 'discovery'],
              'engine-session': ['session', 'in-visit'],
            },
          };
        },
      });
      const json = toEvaluationJson(result.report, { modelVersion, trainSeconds }) as unknown as Record<
        string,
        unknown
      >;
      if (opts.itemSequences) json.itemSequences = true;
      if (opts.eventsAs && opts.eventsAs !== 'purchase') json.eventsAs = opts.eventsAs;
      if (opts.ordersShare) json.ordersShare = opts.ordersShare;
      if (opts.visitsAsUsers) json.visitsAsUsers = true;
      if (opts.opaqueTitles) json.opaqueTitles = true;
      if (opts.sentAtOnce) json.sentAtOnce = true;
      if (opts.wallClock) json.wallClock = true;
      if (opts.crawlers) json.crawlers = opts.crawlers;
      if (opts.customerShare) json.customerShare = opts.customerShare;
      if (finetune)
        json.finetune = { activated: finetune.activated, reason: finetune.reason, metrics: finetune.metrics };
      const variant =
        (opts.itemSequences ? 'invoices read as item sequences (--item-sequences)\n' : '') +
        (opts.opaqueTitles ? 'every product title replaced by an opaque code (--opaque-titles)\n' : '') +
        (opts.sentAtOnce
          ? "the engine's events stamped as sent within the hour before the cutoff (--sent-at-once)\n"
          : '') +
        (opts.wallClock
          ? "the engine's lists asked at the machine's clock, not the cutoff (--wall-clock)\n"
          : '') +
        (opts.crawlers
          ? `${opts.crawlers} accounts added that each bought ${CRAWLER_ITEMS} items across the catalog before the cutoff (--crawlers)\n`
          : '') +
        (opts.customerShare
          ? `a fixed pick of ${(100 * opts.customerShare).toFixed(1)} % of the customers (--customers-share)\n`
          : '') +
        (opts.visitsAsUsers
          ? "the engine's events stored one user per invoice (--visits-as-users), the baselines' too: only the session rows compare\n"
          : '') +
        (opts.eventsAs && opts.eventsAs !== 'purchase'
          ? opts.ordersShare
            ? `the shop's lines stored as ${opts.eventsAs} events, ${(100 * opts.ordersShare).toFixed(1)} % of them also as purchases (--events-as, --orders-share)\n`
            : `the shop's lines stored as ${opts.eventsAs} events, no purchases (--events-as)\n`
          : '');
      return { table: variant + formatEvaluationTable(result.report) + gateLine(finetune?.metrics), json };
    } finally {
      await ctx.close();
    }
  } finally {
    await drop().catch(() => undefined);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The fine-tune gate's validation NDCG@10 per list kind, candidate beside active, under the table. */
function gateLine(metrics: unknown): string {
  if (!metrics || typeof metrics !== 'object') return '';
  const m = metrics as Record<string, unknown>;
  const f = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : '-');
  return (
    `\nfine-tune gate, validation NDCG@10 (candidate / active): ` +
    `personalised ${f(m.validationNdcg)} / ${f(m.activeValidationNdcg)}, ` +
    `session ${f(m.validationSessionNdcg)} / ${f(m.activeValidationSessionNdcg)} ` +
    `(${typeof m.validationSessionCases === 'number' ? m.validationSessionCases : 0} sessions)`
  );
}

/** `aisle eval`: the table always; with --json the numbers as the last line. */
export function evalCommand(): Command {
  return new Command('eval')
    .description(
      'offline evaluation (docs: evaluation protocol) of the engine and the baselines on Online Retail',
    )
    .requiredOption('--online-retail <file>', 'the UCI Online Retail file (.csv or .csv.gz)')
    .option(
      '--cutoff <date>',
      'split date (default 2011-11-01); an earlier one gives a validation split for tuning',
    )
    .option('--no-finetune', 'evaluate the engine without the fine-tuned projection (raw text vectors)')
    .option(
      '--item-sequences',
      'read every invoice as single-item purchases a second apart: the next item is the target, sessions are the last 10 items',
    )
    .addOption(
      new Option(
        '--events-as <type>',
        "store the shop's lines as events of this type (a shop that sends its reviews, clickstream or carts, no orders; ratings of 5 stars)",
      )
        .choices([...LEARNABLE_TYPES])
        .default('purchase'),
    )
    .option(
      '--orders-share <fraction>',
      'with --events-as other than purchase: also store this share of the lines (a fixed pick) as purchases, a clickstream with its few orders',
    )
    .option(
      '--visits-as-users',
      "store the engine's events under one user per invoice, as a shop that cannot tie visits to shoppers (the baselines keep the customers; only the session rows compare)",
    )
    .option(
      '--opaque-titles',
      'replace every product title by an opaque code made from its id: a shop whose text says nothing (the text vectors carry no meaning; item-kNN, Markov and popularity never read titles)',
    )
    .option(
      '--sent-at-once',
      "stamp the engine's events as a shop sends a history without timestamps of its own: all within the hour before the cutoff, in order (the baselines keep the file's times; only order matters to them)",
    )
    .option(
      '--crawlers <n>',
      `add n accounts that each bought ${CRAWLER_ITEMS} distinct items across the catalog before the cutoff (crawlers, resellers), seen by the engine and the baselines alike`,
    )
    .option(
      '--customers-share <f>',
      'keep only a fixed pick of about this share of the customers (every purchase of each), for the engine and the baselines: a smaller shop with the same catalog',
    )
    .option(
      '--wall-clock',
      "ask the engine's lists at the machine's clock rather than at the cutoff, its popularity and trending counted as of now: what a server answers after an old history was sent to it",
    )
    .option('--json', 'print the result as one JSON line last')
    .action(
      (opts: {
        onlineRetail: string;
        cutoff?: string;
        finetune: boolean;
        itemSequences?: boolean;
        eventsAs: LearnableType;
        ordersShare?: string;
        visitsAsUsers?: boolean;
        opaqueTitles?: boolean;
        sentAtOnce?: boolean;
        wallClock?: boolean;
        crawlers?: string;
        customersShare?: string;
        json?: boolean;
      }) =>
        runCommand(!!opts.json, async () => {
          // Before the database and the encoder are started for nothing.
          if (!fs.existsSync(opts.onlineRetail)) throw new Error(`No such file: ${opts.onlineRetail}`);
          const cutoff = opts.cutoff ? new Date(`${opts.cutoff}T00:00:00Z`) : undefined;
          if (cutoff && Number.isNaN(cutoff.getTime()))
            throw new Error('--cutoff must be a date like 2011-10-01');
          const ordersShare = opts.ordersShare === undefined ? undefined : Number(opts.ordersShare);
          if (ordersShare !== undefined && !(ordersShare > 0 && ordersShare < 1))
            throw new Error('--orders-share must be a fraction between 0 and 1, e.g. 0.02');
          if (ordersShare !== undefined && opts.eventsAs === 'purchase')
            throw new Error('--orders-share needs --events-as view, add_to_cart or rating');
          const crawlers = opts.crawlers === undefined ? undefined : Number(opts.crawlers);
          if (crawlers !== undefined && !(Number.isInteger(crawlers) && crawlers > 0))
            throw new Error('--crawlers must be a whole number of accounts, e.g. 3');
          const customerShare = opts.customersShare === undefined ? undefined : Number(opts.customersShare);
          if (customerShare !== undefined && !(customerShare > 0 && customerShare < 1))
            throw new Error('--customers-share must be a fraction between 0 and 1, e.g. 0.1');
          const bar = terminalProgress(true);
          const out = await withRuntime((rt) =>
            runEval(rt, opts.onlineRetail, {
              cutoff,
              finetune: opts.finetune,
              itemSequences: !!opts.itemSequences,
              eventsAs: opts.eventsAs,
              ordersShare,
              visitsAsUsers: !!opts.visitsAsUsers,
              opaqueTitles: !!opts.opaqueTitles,
              sentAtOnce: !!opts.sentAtOnce,
              wallClock: !!opts.wallClock,
              crawlers,
              customerShare,
              progress: bar.update,
            }),
          ).finally(bar.stop);
          return new ReportedSummary(out.table, out.json);
        }),
    );
}

/** The purchases as stored for the engine: with `atOnce`, stamped as sent within the hour before `end`. */
function stampedAsSent(purchases: Purchase[], atOnce: boolean, end: Date): Purchase[] {
  return atOnce ? sentAtOnce(purchases, end) : purchases;
}
