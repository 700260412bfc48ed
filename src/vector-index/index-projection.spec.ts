import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { CatalogChanges } from '../catalog/catalog-changes';
import type { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { ItemsRepository } from '../catalog/items.repository';
import type { EmbeddingsService } from '../embeddings/embeddings.service';
import { ReadinessIndicators } from '../health/readiness';
import type { MetricsService } from '../metrics/metrics.service';
import { ServingModel } from '../serving-model/serving-model';
import type { ChangeFeed } from '../sync/change-feed';
import { HnswVectorIndex } from './hnsw-vector-index.adapter';
import { IndexService } from './index.service';
import type { VectorProjection } from './projection';

const TEXT_DIM = 4;

function indexFor(modelVersion: string, dimension: number): Promise<HnswVectorIndex> {
  const vector = new Float32Array(dimension).fill(1);
  return HnswVectorIndex.build([{ id: 'a', vector }], {
    space: 'ip',
    dimension,
    encoderId: 'enc',
    modelVersion,
  });
}

/** A fine-tuned version's projection: the first two coordinates of a text vector. */
const fineTuned = (version: string): VectorProjection => ({
  version,
  dimension: 2,
  inputDimension: TEXT_DIM,
  project: (_id, v) => v.slice(0, 2),
});

describe('IndexService: the projection of the served index', () => {
  let serving: ServingModel;
  let service: IndexService;

  beforeEach(() => {
    serving = new ServingModel();
    service = new IndexService(
      {} as AppConfig,
      {} as EmbeddingsService,
      {} as CatalogSnapshot,
      { indexSize: { set: () => undefined } } as unknown as MetricsService,
      {} as ItemsRepository,
      {} as ChangeFeed,
      serving,
      new ReadinessIndicators(),
      new CatalogChanges(),
      {} as DataSource,
    );
  });
  afterEach(() => service.current()?.dispose());

  const activate = (projection: VectorProjection) =>
    serving.publish({ ...serving.current(), version: projection.version, projection });

  it('keeps the raw projection while the served index is still the raw one, after a model was adopted', async () => {
    service.holder.swap(await indexFor('raw', TEXT_DIM));
    service.refreshProjection();
    expect(service.currentProjection()?.version).toBe('raw');

    // Another process activated a fine-tuned version; its index is not served here yet.
    activate(fineTuned('ft-1'));
    service.refreshProjection();
    expect(service.currentProjection()?.version).toBe('raw');
    expect(service.currentProjection()?.dimension).toBe(TEXT_DIM);

    // Its index arrives: from then on texts are placed in its space.
    service.current()?.dispose();
    service.holder.swap(await indexFor('ft-1', 2));
    service.refreshProjection();
    expect(service.currentProjection()?.version).toBe('ft-1');
  });

  it('holds no projection for an index built for a version whose weights it does not hold', async () => {
    activate(fineTuned('ft-2'));
    service.holder.swap(await indexFor('ft-1', 2));
    service.refreshProjection();
    expect(service.currentProjection()).toBeUndefined();
  });
});
