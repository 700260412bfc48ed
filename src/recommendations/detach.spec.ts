import type { DataSource } from 'typeorm';
import { CatalogChanges } from '../catalog/catalog-changes';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { ItemsRepository } from '../catalog/items.repository';
import type { AppConfig } from '../config/app-config';
import type { EmbeddingsService } from '../embeddings/embeddings.service';
import type { NewArrivalRule } from '../ranking/new-arrivals';
import type { ServingModel } from '../serving-model/serving-model';
import type { ListSteps, RankingIndex } from './list-steps';
import type { PurchaseSignalsService } from './purchase-signals.service';
import { SessionLists } from './session-lists';
import { SimilarLists } from './similar-lists';

/**
 * Similar and session lists follow the shared catalog snapshot; an engine that is dropped (a pinned model version's,
 * rebuilt whenever the active index changes) must take its listeners with it, or the snapshot keeps every dropped
 * engine and its held lists alive. Only the constructors and `detach` run here: nothing else is read.
 */
describe('lists of a dropped engine', () => {
  it('leave no listener on the catalog snapshot once detached', () => {
    const snapshot = new CatalogSnapshot({} as DataSource, new CatalogChanges());
    const before = snapshot.listenerCount;
    const similar = new SimilarLists(
      {} as RankingIndex,
      snapshot,
      {} as PurchaseSignalsService,
      {} as ServingModel,
      {} as ListSteps,
      () => Promise.resolve(undefined),
      10,
    );
    const sessions = new SessionLists(
      {} as RankingIndex,
      snapshot,
      {} as ItemsRepository,
      {} as EmbeddingsService,
      {} as PurchaseSignalsService,
      {} as ServingModel,
      { recsSessionCacheMaxBytes: 1_000_000 } as AppConfig,
      {} as NewArrivalRule,
      {} as ListSteps,
    );
    expect(snapshot.listenerCount).toBe(before + 2);
    similar.detach();
    sessions.detach();
    expect(snapshot.listenerCount).toBe(before);
    // Twice is harmless.
    sessions.detach();
    expect(snapshot.listenerCount).toBe(before);
  });
});
