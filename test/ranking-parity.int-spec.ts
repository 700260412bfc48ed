import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { CatalogSnapshot } from '../src/catalog/catalog-snapshot';
import { normalizeRows } from '../src/common/vectors';
import { loadConfig, type AppConfig } from '../src/config/config.schema';
import { CopurchaseJob } from '../src/copurchase/copurchase.job';
import { EmbeddingsService } from '../src/embeddings/embeddings.service';
import { ImportService } from '../src/import/import.service';
import { loadOnlineRetail } from '../src/online-retail/online-retail.reader';
import { ndcgAtK } from '../src/ranking/ranking-metrics';
import { PurchaseSignalsService } from '../src/recommendations/purchase-signals.service';
import { RecommendationsService } from '../src/recommendations/recommendations.service';
import { ServingModel } from '../src/serving-model/serving-model';
import { gateSignals, tuneForModel, userHistories } from '../src/training/blend-gate';
import { validationSession } from '../src/training/session-gate';
import type { Interaction } from '../src/training/model/training-pairs';
import { IndexService } from '../src/vector-index/index.service';
import { createTestDatabase, type TestDatabase } from './support/database';

/**
 * The fine-tune's gate and serving rank with one core: the gate's validation NDCG@10 for a model equals what
 * the RecommendationsService gives the same users with the weights the gate tuned — personalised lists, and
 * session lists of each user's last basket. The slice is one trading
 * day of Online Retail; purchases before AT are the history (stored as the shop would have them).
 */
const SLICE = path.join(__dirname, 'fixtures', 'online-retail-slice.csv');
const AT = new Date('2010-12-01T12:30:00.000Z');
const K = 10;

describe('one ranking for the gate and for serving (real PostgreSQL, Online Retail slice)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let ctx: INestApplicationContext;
  let config: AppConfig;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aisle-parity-'));
    config = loadConfig({
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      STATS_REFRESH_MS: '0',
    });
    ctx = await NestFactory.createApplicationContext(
      AppModule.forRoot({ config, databaseUrl: db.url, longRunningServer: false }),
      { logger: false },
    );
    const data = await loadOnlineRetail(SLICE);
    // With the products only guests bought: unsold ones dated before AT are new arrivals there.
    await ctx.get(ImportService).storeOnlineRetail(
      [...data.items, ...data.unsold],
      data.purchases.filter((p) => p.timestamp < AT),
    );
    await ctx.get(CatalogSnapshot).reload();
    await ctx.get(EmbeddingsService).embedCatalog({ full: false });
    await ctx.get(IndexService).rebuild();
    await ctx.get(CopurchaseJob).runHere(AT);
    await ctx.get(PurchaseSignalsService).refresh(AT);
    // Embedding the slice's catalog takes most of this; a busy machine stretches it past the default timeout.
  }, 600_000);

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("gives the gate's validation NDCG when the service serves the validation users", async () => {
    const data = await loadOnlineRetail(SLICE);
    // The history as stored (what serving reads), in the gate's input form.
    const rows: Array<{ user_id: string; item_id: string; occurred_at: Date }> = await ctx
      .get(DataSource)
      .query(
        `SELECT user_id, item_id, occurred_at FROM events WHERE type = 'purchase' ORDER BY occurred_at, id`,
      );
    const history: Interaction[] = rows.map((r) => ({
      userId: r.user_id,
      itemId: r.item_id,
      timestamp: r.occurred_at,
      weight: 1,
    }));
    const owned = new Map<string, Set<string>>();
    for (const e of history) owned.set(e.userId, (owned.get(e.userId) ?? new Set()).add(e.itemId));
    // One trading day has few returning customers, and the comparison needs only the same users and targets on
    // both paths: every user with history gets an invoice from after AT (in turn) plus their own first item,
    // so both the next-basket and the discovery protocol have something to find.
    const invoices = new Map<string, Set<string>>();
    for (const p of data.purchases)
      if (p.timestamp >= AT)
        invoices.set(p.invoiceNo, (invoices.get(p.invoiceNo) ?? new Set()).add(p.itemId));
    const later = [...invoices.values()];
    const users = [...owned].map(([userId, items], i) => ({
      userId,
      targets: new Set([...later[i % later.length], [...items][0]]),
    }));
    expect(users.length).toBeGreaterThanOrEqual(20);

    // The model in service is the raw text vectors (no fine-tune yet): the gate's view of it.
    const { vectors } = await ctx.get(EmbeddingsService).catalogVectors();
    const itemIds = [...vectors.keys()].sort();
    const dim = vectors.get(itemIds[0])!.length;
    const text = new Float32Array(itemIds.length * dim);
    itemIds.forEach((id, i) => text.set(vectors.get(id)!, i * dim));
    // The items' dates as stored: some unsold ones went on sale before AT, so both sides have new arrivals.
    const dated: Array<{ id: string; available_from: Date }> = await ctx
      .get(DataSource)
      .query(`SELECT id, available_from FROM items`);
    const since = new Map(dated.map((r) => [r.id, r.available_from.getTime()]));
    const sold = new Set(history.map((e) => e.itemId));
    expect(itemIds.filter((id) => !sold.has(id) && since.get(id)! <= AT.getTime()).length).toBeGreaterThan(0);
    const gate = tuneForModel({
      users,
      projected: normalizeRows(text, dim),
      dim,
      tau: 0.1,
      itemIds,
      signals: gateSignals(history, AT, config.copurchaseBuyers),
      histories: userHistories(history, users),
      at: AT,
      halfLifeDays: config.profileHalfLifeDays,
      repeatHalfLifeDays: config.recsRepeatHalfLifeDays,
      newItemSlots: config.recsNewItemSlots,
      newItemShare: config.recsNewItemShare,
      availableFrom: Float64Array.from(itemIds, (id) => since.get(id) ?? NaN),
      newArrivalDays: config.newArrivalDays,
    });

    // Serve the same users through the service with the tuned weights, asked at AT.
    const serving = ctx.get(ServingModel);
    serving.publish({ ...serving.current(), blend: gate.weights, discoveryBlend: gate.discoveryWeights });
    const recs = ctx.get(RecommendationsService);
    const list = async (userId: string, excludePurchased: boolean) =>
      (
        await recs.forUser(
          userId,
          {
            limit: K,
            inStockOnly: false,
            exclude: [],
            includeItems: false,
            explain: false,
            diversity: 0,
            excludePurchased,
          },
          AT,
        )
      ).items.map((i) => i.id);
    let nextBasket = 0;
    let discovery = 0;
    let discoveryUsers = 0;
    for (const { userId, targets } of users) {
      nextBasket += ndcgAtK(await list(userId, false), targets, K);
      const fresh = new Set([...targets].filter((id) => !owned.get(userId)!.has(id)));
      if (fresh.size === 0) continue;
      discovery += ndcgAtK(await list(userId, true), fresh, K);
      discoveryUsers += 1;
    }
    expect(discoveryUsers).toBeGreaterThanOrEqual(10);
    const served = (nextBasket / users.length + discovery / discoveryUsers) / 2;
    expect(gate.ndcg).toBeGreaterThan(0);
    expect(served).toBeCloseTo(gate.ndcg, 12);

    // The session kind: each user's last basket before AT posted as an anonymous session (what
    // POST /v1/recommendations answers) with the session blend the gate tuned, the rest of the targets to find.
    serving.publish({ ...serving.current(), sessionBlend: gate.sessionWeights });
    let sessionSum = 0;
    let sessionUsers = 0;
    for (const { userId, targets } of users) {
      const session = validationSession(history.filter((e) => e.userId === userId));
      const rest = new Set([...targets].filter((id) => !session.includes(id)));
      if (session.length === 0 || rest.size === 0) continue;
      const list = await recs.session(
        session,
        undefined,
        { limit: K, inStockOnly: false, exclude: [], includeItems: false, explain: false, diversity: 0 },
        AT,
      );
      sessionSum += ndcgAtK(
        list.items.map((i) => i.id),
        rest,
        K,
      );
      sessionUsers += 1;
    }
    expect(sessionUsers).toBe(gate.sessionCases);
    expect(sessionUsers).toBeGreaterThanOrEqual(10);
    expect(gate.sessionNdcg).toBeGreaterThan(0);
    expect(sessionSum / sessionUsers).toBeCloseTo(gate.sessionNdcg, 12);
  });
});
