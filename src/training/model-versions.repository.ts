import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ModelStatus } from './model-version.entity';
import { RAW_MODEL } from './model-blends.entity';

/** Blends re-tuned for a model in service (ModelBlendsEntity). */
export interface RetunedBlends {
  /** A model version, or RAW_MODEL. */
  modelVersion: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  tunedAt: string;
}

export interface ModelVersionRow {
  version: string;
  encoderId: string;
  status: ModelStatus;
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
  createdAt: string;
  activatedAt: string | null;
}

interface Row {
  version: string;
  encoder_id: string;
  status: ModelStatus;
  metrics: Record<string, unknown>;
  params: Record<string, unknown>;
  created_at: Date;
  activated_at: Date | null;
}

const toModel = (r: Row): ModelVersionRow => ({
  version: r.version,
  encoderId: r.encoder_id,
  status: r.status,
  metrics: r.metrics,
  params: r.params,
  createdAt: r.created_at.toISOString(),
  activatedAt: r.activated_at?.toISOString() ?? null,
});

/** Model versions: weights (bytea), metrics, status; exactly one is active at a time. */
@Injectable()
export class ModelVersionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(): Promise<ModelVersionRow[]> {
    const rows: Row[] = await this.db.query(
      `SELECT version, encoder_id, status, metrics, params, created_at, activated_at FROM model_versions ORDER BY created_at DESC`,
    );
    return rows.map(toModel);
  }

  async find(version: string): Promise<(ModelVersionRow & { weights: Buffer | null }) | null> {
    const rows: Array<Row & { weights: Buffer | null }> = await this.db.query(
      `SELECT * FROM model_versions WHERE version = $1`,
      [version],
    );
    return rows[0] ? { ...toModel(rows[0]), weights: rows[0].weights } : null;
  }

  async active(): Promise<(ModelVersionRow & { weights: Buffer | null }) | null> {
    const version = await this.activeVersion();
    return version !== null ? this.find(version) : null;
  }

  /** The active version's name only: what a periodic sync compares before reading any weights. */
  async activeVersion(): Promise<string | null> {
    const rows: Array<{ version: string }> = await this.db.query(
      `SELECT version FROM model_versions WHERE status = 'active' LIMIT 1`,
    );
    return rows[0]?.version ?? null;
  }

  async insert(v: {
    version: string;
    encoderId: string;
    status: ModelStatus;
    metrics: Record<string, unknown>;
    params: Record<string, unknown>;
    weights: Buffer | null;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO model_versions (version, encoder_id, status, metrics, params, weights) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)`,
      [v.version, v.encoderId, v.status, JSON.stringify(v.metrics), JSON.stringify(v.params), v.weights],
    );
  }

  /** The blends last re-tuned for `version` (null: the raw text vectors), if any were. */
  async retunedBlends(version: string | null): Promise<RetunedBlends | null> {
    const rows: Array<{ params: Record<string, unknown>; metrics: Record<string, unknown>; tuned_at: Date }> =
      await this.db.query(`SELECT params, metrics, tuned_at FROM model_blends WHERE model_version = $1`, [
        version ?? RAW_MODEL,
      ]);
    const r = rows[0];
    return r
      ? {
          modelVersion: version ?? RAW_MODEL,
          params: r.params,
          metrics: r.metrics,
          tunedAt: r.tuned_at.toISOString(),
        }
      : null;
  }

  /**
   * Stores blends re-tuned for `version` (null: the raw text vectors): each blend in `params` replaces the one
   * stored before; a blend not re-tuned this time stays.
   */
  async storeRetunedBlends(
    version: string | null,
    params: Record<string, unknown>,
    metrics: Record<string, unknown>,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO model_blends (model_version, params, metrics, tuned_at) VALUES ($1, $2::jsonb, $3::jsonb, clock_timestamp())
       ON CONFLICT (model_version) DO UPDATE SET params = model_blends.params || EXCLUDED.params, metrics = EXCLUDED.metrics, tuned_at = EXCLUDED.tuned_at`,
      [version ?? RAW_MODEL, JSON.stringify(params), JSON.stringify(metrics)],
    );
  }

  /** Makes `version` the only active one, in one transaction. */
  async markActive(version: string): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE model_versions SET status = 'inactive' WHERE status = 'active' AND version <> $1`,
        [version],
      );
      await m.query(`UPDATE model_versions SET status = 'active', activated_at = now() WHERE version = $1`, [
        version,
      ]);
    });
  }

  /**
   * Keeps the newest `keep` versions' weights, always the active one's, and those of versions served by name
   * (`pinned_model_versions`: a live experiment's variant, a placement's own version); older rows keep their
   * metrics.
   */
  async prune(keep: number): Promise<void> {
    await this.db.query(
      `UPDATE model_versions SET weights = NULL WHERE status <> 'active' AND weights IS NOT NULL
         AND version NOT IN (SELECT version FROM model_versions ORDER BY created_at DESC LIMIT $1)
         AND version NOT IN (SELECT version FROM pinned_model_versions WHERE version IS NOT NULL)`,
      [keep],
    );
  }
}
