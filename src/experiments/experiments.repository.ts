import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProblemException } from '../common/problem';
import type { ExperimentMode, VariantDefinition } from './dto/experiment.schema';

export interface StoredExperiment {
  id: string;
  placement: string;
  mode: ExperimentMode;
  variants: VariantDefinition[];
  startAt: Date | null;
  endAt: Date | null;
  createdAt: Date;
  createdBy: string;
  stoppedAt: Date | null;
  promotedVariant: string | null;
}

interface Row {
  id: string;
  placement: string;
  mode: ExperimentMode;
  variants: VariantDefinition[];
  start_at: Date | null;
  end_at: Date | null;
  created_at: Date;
  created_by: string;
  stopped_at: Date | null;
  promoted_variant: string | null;
}

const toExperiment = (r: Row): StoredExperiment => ({
  id: r.id,
  placement: r.placement,
  mode: r.mode,
  variants: r.variants,
  startAt: r.start_at,
  endAt: r.end_at,
  createdAt: r.created_at,
  createdBy: r.created_by,
  stoppedAt: r.stopped_at,
  promotedVariant: r.promoted_variant,
});

/** Experiments in PostgreSQL. */
@Injectable()
export class ExperimentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Stores a new experiment. An experiment of the same placement whose end has passed is closed first (it
   * serves nothing any more); one still live makes this a 409, as does a taken id.
   */
  async insert(e: Omit<StoredExperiment, 'stoppedAt' | 'promotedVariant'>): Promise<StoredExperiment> {
    return this.db.transaction(async (m) => {
      await m.query(
        `UPDATE experiments SET stopped_at = end_at
         WHERE placement = $1 AND stopped_at IS NULL AND end_at IS NOT NULL AND end_at <= $2`,
        [e.placement, e.createdAt.toISOString()],
      );
      const taken: Array<{ id: string; live: boolean }> = await m.query(
        `SELECT id, stopped_at IS NULL AS live FROM experiments WHERE id = $1 OR (placement = $2 AND stopped_at IS NULL)`,
        [e.id, e.placement],
      );
      if (taken.some((t) => t.id === e.id))
        throw new ProblemException(409, `Experiment "${e.id}" already exists`);
      if (taken.length > 0)
        throw new ProblemException(
          409,
          `Placement "${e.placement}" already has a live experiment ("${taken[0].id}"); stop it first`,
        );
      const rows: Row[] = await m.query(
        `INSERT INTO experiments (id, placement, mode, variants, start_at, end_at, created_at, created_by)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) RETURNING *`,
        [
          e.id,
          e.placement,
          e.mode,
          JSON.stringify(e.variants),
          e.startAt?.toISOString() ?? null,
          e.endAt?.toISOString() ?? null,
          e.createdAt.toISOString(),
          e.createdBy,
        ],
      );
      return toExperiment(rows[0]);
    });
  }

  async find(id: string): Promise<StoredExperiment | undefined> {
    const rows: Row[] = await this.db.query(`SELECT * FROM experiments WHERE id = $1`, [id]);
    return rows[0] ? toExperiment(rows[0]) : undefined;
  }

  /** Newest first. */
  async list(): Promise<StoredExperiment[]> {
    const rows: Row[] = await this.db.query(`SELECT * FROM experiments ORDER BY created_at DESC, id`);
    return rows.map(toExperiment);
  }

  /** Experiments not stopped (running, scheduled, or past their end but not closed yet). */
  async live(): Promise<StoredExperiment[]> {
    const rows: Row[] = await this.db.query(`SELECT * FROM experiments WHERE stopped_at IS NULL`);
    return rows.map(toExperiment);
  }

  /** Stops it (when not stopped yet) and records a promotion; the row as it is afterwards. */
  async stop(id: string, at: Date, promotedVariant?: string): Promise<StoredExperiment | undefined> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [rows]: [Row[], number] = await this.db.query(
      `UPDATE experiments SET stopped_at = COALESCE(stopped_at, $2),
              promoted_variant = COALESCE($3, promoted_variant)
       WHERE id = $1 RETURNING *`,
      [id, at.toISOString(), promotedVariant ?? null],
    );
    return rows[0] ? toExperiment(rows[0]) : undefined;
  }
}
