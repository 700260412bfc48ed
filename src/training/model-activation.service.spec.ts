import type { QueryRunner } from 'typeorm';
import { ProblemException } from '../common/problem';
import { loadConfig } from '../config/config.schema';
import { DEFAULT_BLEND, type BlendWeights } from '../ranking/blend';
import { DEFAULT_SESSION_BLEND, type SessionBlend } from '../ranking/session-ranking';
import { ServingModel } from '../serving-model/serving-model';
import type { RebuildResult } from '../vector-index/index.service';
import type { VectorProjection } from '../vector-index/projection';
import {
  ModelActivationService,
  type ActivationDatabase,
  type ActivationIndex,
  type ActivationReconciler,
  type ActivationVersions,
} from './model-activation.service';
import type { ModelVersionRow, RetunedBlends } from './model-versions.repository';
import { ProjectionModel } from './model/projection-model';

const DIM = 3;
const X = new Float32Array([1, 0.2, 0]);

/** Two versions whose projections differ: A keeps the text vector, B swaps its first two coordinates. */
const modelA = new ProjectionModel(
  { inputDim: DIM, dim: DIM },
  new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]),
);
const modelB = new ProjectionModel(
  { inputDim: DIM, dim: DIM },
  new Float32Array([0, 1, 0, 1, 0, 0, 0, 0, 1]),
);
const blendA: BlendWeights = { ...DEFAULT_BLEND, cos: 0.11 };
const blendB: BlendWeights = { ...DEFAULT_BLEND, cos: 0.77 };

type StoredRow = ModelVersionRow & { weights: Buffer | null };
// B was tuned with a session blend; A was stored before session blends were (none in its params).
const sessionB: SessionBlend = { ...DEFAULT_SESSION_BLEND, cos: 0, knn: 1.5, trend: 0.2 };
const row = (
  version: string,
  weights: Buffer | null,
  blend: BlendWeights,
  sessionBlend?: SessionBlend,
): StoredRow => ({
  version,
  encoderId: 'enc@1',
  status: 'candidate',
  metrics: {},
  params: sessionBlend ? { blend, sessionBlend } : { blend },
  createdAt: '2025-01-01T00:00:00.000Z',
  activatedAt: null,
  weights,
});

function harness() {
  const log: string[] = [];
  const rows = new Map<string, StoredRow>([
    ['A', row('A', modelA.toBuffer(), blendA)],
    ['B', row('B', modelB.toBuffer(), blendB, sessionB)],
    ['rejected', row('rejected', null, blendA)],
  ]);
  let activeInStore: string | null = null;
  /** Blends re-tuned per model ('raw': the text vectors), as model_blends holds them. */
  const retunes = new Map<string, RetunedBlends>();
  const rebuilds: VectorProjection[] = [];
  const versions: ActivationVersions = {
    find: (version) => {
      log.push(`find:${version}`);
      return Promise.resolve(rows.get(version) ?? null);
    },
    active: () => Promise.resolve(activeInStore ? rows.get(activeInStore)! : null),
    activeVersion: () => Promise.resolve(activeInStore),
    markActive: (version) => {
      log.push(`mark:${version}`);
      activeInStore = version;
      return Promise.resolve();
    },
    retunedBlends: (version) => Promise.resolve(retunes.get(version ?? 'raw') ?? null),
  };
  const index: ActivationIndex = {
    rebuild: (_progress, projection) => {
      log.push(`rebuild:${projection?.version}`);
      rebuilds.push(projection!);
      return Promise.resolve({} as RebuildResult);
    },
    syncFromDisk: () => {
      log.push('syncFromDisk');
      return Promise.resolve();
    },
    refreshProjection: () => log.push('refreshProjection'),
  };
  const reconciler: ActivationReconciler = {
    reconcileIndex: () => {
      log.push('reconcile');
      return Promise.resolve();
    },
  };
  const runner = {
    connect: () => Promise.resolve(),
    release: () => Promise.resolve(),
    query: (sql: string) => {
      if (sql.includes('pg_try_advisory_lock')) log.push('lock');
      if (sql.includes('pg_advisory_unlock')) log.push('unlock');
      return Promise.resolve([{ ok: true }]);
    },
  };
  const db: ActivationDatabase = { createQueryRunner: () => runner as unknown as QueryRunner };
  const servingModel = new ServingModel();
  const service = new ModelActivationService(
    db,
    loadConfig({}),
    versions,
    index,
    reconciler,
    servingModel,
    false,
  );
  return {
    service,
    log,
    rebuilds,
    servingModel,
    activateElsewhere: (v: string) => (activeInStore = v),
    retune: (model: string, params: Record<string, unknown>, tunedAt: string) =>
      retunes.set(model, { modelVersion: model, params, metrics: {}, tunedAt }),
  };
}

describe('ModelActivationService', () => {
  it('rebuilds the index with the version under the index lock, marks it active, then publishes it', async () => {
    const { service, log, rebuilds, servingModel } = harness();
    await service.activate('B');

    expect(log).toEqual(['find:B', 'lock', 'rebuild:B', 'mark:B', 'unlock']);
    expect(Array.from(rebuilds[0].project('item', X))).toEqual(Array.from(modelB.projectItem(X, 'item')));
    const served = servingModel.current();
    expect(served.version).toBe('B');
    expect(served.blend).toEqual(blendB);
    expect(served.sessionBlend).toEqual(sessionB);
    expect(Array.from(served.projection!.project('item', X))).toEqual(Array.from(modelB.projectItem(X)));
    expect(service.activeVersion()).toBe('B');
  });

  it("rolls back with the earlier version's own vectors, not only its label", async () => {
    const { service, rebuilds, servingModel } = harness();
    await service.activate('A');
    await service.activate('B');
    await service.activate('A');

    const rollback = rebuilds[2];
    expect(rollback.version).toBe('A');
    expect(Array.from(rollback.project('item', X))).toEqual(Array.from(modelA.projectItem(X)));
    expect(Array.from(rollback.project('item', X))).not.toEqual(Array.from(modelB.projectItem(X)));
    expect(servingModel.current().blend).toEqual(blendA);
    // Stored before session blends were tuned: the defaults, not B's.
    expect(servingModel.current().sessionBlend).toEqual(DEFAULT_SESSION_BLEND);
  });

  it('refuses an unknown version (404) and one without weights (409), touching nothing', async () => {
    const { service, log, servingModel } = harness();
    await expect(service.activate('nope')).rejects.toMatchObject({ status: 404 });
    await expect(service.activate('rejected')).rejects.toBeInstanceOf(ProblemException);
    await expect(service.activate('rejected')).rejects.toMatchObject({ status: 409 });
    expect(log.filter((l) => !l.startsWith('find:'))).toEqual([]);
    expect(servingModel.current().version).toBeNull();
  });

  it('adopts a version another process activated, then re-projects queries and reconciles the index', async () => {
    const { service, log, servingModel, activateElsewhere } = harness();
    activateElsewhere('A');
    await service.syncWithStore();

    expect(servingModel.current().version).toBe('A');
    expect(servingModel.current().blend).toEqual(blendA);
    expect(log).toEqual(['find:A', 'syncFromDisk', 'refreshProjection', 'reconcile']);

    // Nothing changed since: the index is still followed, the projection left alone, and the weights (the
    // costly part of a version's row) are not read again.
    log.length = 0;
    await service.syncWithStore();
    expect(log).toEqual(['syncFromDisk', 'reconcile']);
  });

  describe('blends re-tuned for the model in service', () => {
    const retunedSession: SessionBlend = { ...DEFAULT_SESSION_BLEND, cos: 0.5, trans: 3 };

    it('serves the raw text vectors with the blends re-tuned for them, from start-up and after a later re-tune', async () => {
      const { service, servingModel, retune } = harness();
      retune('raw', { sessionBlend: retunedSession }, '2025-01-02T00:00:00.000Z');
      await service.onModuleInit();

      expect(servingModel.current()).toMatchObject({ version: null, sessionBlend: retunedSession });
      // Only what was re-tuned changes: the personalised blend keeps its defaults.
      expect(servingModel.current().blend).toEqual(DEFAULT_BLEND);

      const later: SessionBlend = { ...retunedSession, trans: 5 };
      retune('raw', { sessionBlend: later, blend: blendB }, '2025-01-03T00:00:00.000Z');
      await service.adoptRetunedBlends();
      expect(servingModel.current()).toMatchObject({ version: null, sessionBlend: later, blend: blendB });
    });

    it("overrides the active version's stored blends, keeps its projection, and is followed by a sync", async () => {
      const { service, servingModel, retune, activateElsewhere } = harness();
      await service.activate('B');

      retune('B', { sessionBlend: retunedSession }, '2025-01-02T00:00:00.000Z');
      await service.syncWithStore();
      expect(servingModel.current()).toMatchObject({
        version: 'B',
        sessionBlend: retunedSession,
        blend: blendB,
      });
      expect(Array.from(servingModel.current().projection!.project('item', X))).toEqual(
        Array.from(modelB.projectItem(X)),
      );

      // Another version activated elsewhere serves its own blends: B's re-tune is not carried over.
      activateElsewhere('A');
      await service.syncWithStore();
      expect(servingModel.current()).toMatchObject({
        version: 'A',
        blend: blendA,
        sessionBlend: DEFAULT_SESSION_BLEND,
      });
    });

    it('publishes nothing new when no re-tune is newer than the one adopted', async () => {
      const { service, servingModel, retune } = harness();
      retune('raw', { sessionBlend: retunedSession }, '2025-01-02T00:00:00.000Z');
      await service.onModuleInit();
      const published = servingModel.current();
      await service.adoptRetunedBlends();
      expect(servingModel.current()).toBe(published);
    });
  });
});
