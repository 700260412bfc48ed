import type { QueryRunner } from 'typeorm';
import { ServingModel } from '../serving-model/serving-model';
import { IndexReconciler, type ReconcilerDatabase, type ReconcilerIndex } from './index-reconciler';
import { REINDEX } from './reindex.job';
import type { VectorIndex } from './vector-index.port';

/**
 * The database as the reconciler sees it: the activation lock (free or held by another session) and the
 * version stored as active. Every statement is recorded.
 */
function database(state: { lockHeldElsewhere: boolean; storedActive: string | null }) {
  const statements: string[] = [];
  const runner = {
    connect: () => Promise.resolve(undefined),
    release: () => Promise.resolve(),
    query: (sql: string) => {
      statements.push(sql);
      if (sql.includes('pg_try_advisory_lock')) return Promise.resolve([{ ok: !state.lockHeldElsewhere }]);
      if (sql.includes('pg_advisory_unlock')) return Promise.resolve([{ pg_advisory_unlock: true }]);
      if (sql.includes('FROM model_versions'))
        return Promise.resolve(state.storedActive ? [{ version: state.storedActive }] : []);
      return Promise.reject(new Error(`unexpected statement: ${sql}`));
    },
  };
  const db: ReconcilerDatabase = { createQueryRunner: () => runner as unknown as QueryRunner };
  return { db, statements };
}

/** A reconciler whose served index was built for `indexVersion` while this process serves `servedVersion`. */
function reconciler(opts: {
  indexVersion: string;
  servedVersion: string | null;
  lockHeldElsewhere?: boolean;
  storedActive: string | null;
}) {
  const { db, statements } = database({
    lockHeldElsewhere: opts.lockHeldElsewhere ?? false,
    storedActive: opts.storedActive,
  });
  const index: ReconcilerIndex = {
    current: () => ({ info: { modelVersion: opts.indexVersion } }) as unknown as VectorIndex,
  };
  const serving = new ServingModel();
  if (opts.servedVersion)
    serving.publish({
      ...serving.current(),
      version: opts.servedVersion,
    });
  const queued: Array<{ kind: string; params: Record<string, unknown> }> = [];
  const jobs = {
    enqueue: (kind: string, params: Record<string, unknown> = {}) => {
      queued.push({ kind, params });
      return Promise.resolve({} as never);
    },
  };
  return { reconciler: new IndexReconciler(db, index, serving, jobs), queued, statements };
}

describe('IndexReconciler', () => {
  it('queues a rebuild when the served index belongs to another version than the one stored as active', async () => {
    const r = reconciler({ indexVersion: 'v1', servedVersion: 'v2', storedActive: 'v2' });
    await r.reconciler.reconcileIndex();
    expect(r.queued).toEqual([{ kind: REINDEX, params: { full: false } }]);
    // Once per mismatch, not at every sync.
    await r.reconciler.reconcileIndex();
    expect(r.queued).toHaveLength(1);
  });

  it('queues nothing when another process has just activated the index’s version and this one has not adopted it yet', async () => {
    // A fine-tune's child (or `aisle finetune`) published v2's index and marked v2 active; this server adopted the
    // index first and still serves v1: it must adopt v2, not rebuild v2's index for v1.
    const r = reconciler({ indexVersion: 'v2', servedVersion: 'v1', storedActive: 'v2' });
    await r.reconciler.reconcileIndex();
    expect(r.queued).toEqual([]);
    expect(r.statements.some((s) => s.includes('pg_advisory_unlock'))).toBe(true);
  });

  it('reads no version and queues nothing while an activation holds the lock', async () => {
    const r = reconciler({
      indexVersion: 'v2',
      servedVersion: 'v1',
      storedActive: 'v1',
      lockHeldElsewhere: true,
    });
    await r.reconciler.reconcileIndex();
    expect(r.queued).toEqual([]);
    expect(r.statements.some((s) => s.includes('model_versions'))).toBe(false);
  });

  it('compares with "raw" when no version is stored as active', async () => {
    const stale = reconciler({ indexVersion: 'v1', servedVersion: null, storedActive: null });
    await stale.reconciler.reconcileIndex();
    expect(stale.queued).toEqual([{ kind: REINDEX, params: { full: false } }]);
    const adopted = reconciler({ indexVersion: 'raw', servedVersion: 'v1', storedActive: null });
    await adopted.reconciler.reconcileIndex();
    expect(adopted.queued).toEqual([]);
  });
});
