import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { IndexHolder } from './index-holder';
import { IndexService } from './index.service';

const DIM = 4;

function indexOf(ids: string[]): Promise<HnswVectorIndex> {
  return HnswVectorIndex.build(
    ids.map((id, k) => ({
      id,
      vector: Float32Array.from({ length: DIM }, (_, j) => (j === k % DIM ? 1 : 0.1)),
    })),
    { space: 'ip', dimension: DIM, encoderId: 'enc', modelVersion: 'raw' },
  );
}

describe('IndexService.syncFromDisk: adopting an index another process published', () => {
  let dataDir: string;
  let service: IndexService;
  let other: IndexHolder;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aisle-index-sync-'));
    service = new IndexService(
      { dataDir } as AppConfig,
      {} as EmbeddingsService,
      {} as CatalogSnapshot,
      { indexSize: { set: () => undefined } } as unknown as MetricsService,
      {} as ItemsRepository,
      {} as ChangeFeed,
      new ServingModel(),
      new ReadinessIndicators(),
      new CatalogChanges(),
      {} as DataSource,
    );
    // Another process's holder on the same data directory: what it publishes, this service finds on disk.
    other = new IndexHolder({ retireAfterMs: false });
    await other.publish(dataDir, await indexOf(['a', 'b']));
    await service.syncFromDisk();
  });
  afterEach(async () => {
    service.current()?.dispose();
    other.current()?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('adopts a newly published index once when two syncs ask for it at the same time', async () => {
    const served: string[] = [];
    service.onServed((name) => served.push(name));
    const published = await other.publish(dataDir, await indexOf(['a', 'b', 'c']));

    await Promise.all([service.syncFromDisk(), service.syncFromDisk()]);

    expect(served).toEqual([published.name]);
    expect(service.currentName()).toBe(published.name);
    expect(service.current()?.size).toBe(3);
  });

  it('adopts each of two indexes published one after the other, in order', async () => {
    const served: string[] = [];
    service.onServed((name) => served.push(name));
    const first = await other.publish(dataDir, await indexOf(['a', 'b', 'c']));
    const firstSync = service.syncFromDisk();
    const second = await other.publish(dataDir, await indexOf(['a', 'b', 'c', 'd']));
    await Promise.all([firstSync, service.syncFromDisk()]);

    expect(served[served.length - 1]).toBe(second.name);
    expect(new Set(served).size).toBe(served.length);
    expect(served.every((name) => name === first.name || name === second.name)).toBe(true);
    expect(service.current()?.size).toBe(4);
  });
});
