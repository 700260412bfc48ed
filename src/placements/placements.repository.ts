import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { PlacementDefinition } from './dto/placement.schema';

/** A placement as the admin API returns it: its current definition and who made that revision, when. */
export interface StoredPlacement extends PlacementDefinition {
  id: string;
  revision: number;
  updatedAt: string;
  updatedBy: string;
}

export interface PlacementRevision {
  revision: number;
  createdAt: string;
  createdBy: string;
  restoredFrom?: number;
  definition: PlacementDefinition;
}

interface RevisionRow {
  placement_id: string;
  revision: number;
  definition: PlacementDefinition;
  created_by: string;
  created_at: Date;
  restored_from: number | null;
}

const toPlacement = (r: RevisionRow): StoredPlacement => ({
  id: r.placement_id,
  ...r.definition,
  revision: r.revision,
  updatedAt: r.created_at.toISOString(),
  updatedBy: r.created_by,
});

const CURRENT = `SELECT r.* FROM placements p
  JOIN placement_revisions r ON r.placement_id = p.id AND r.revision = p.revision`;

/** Placements and their revisions in PostgreSQL. */
@Injectable()
export class PlacementsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async find(id: string): Promise<StoredPlacement | undefined> {
    const rows: RevisionRow[] = await this.db.query(`${CURRENT} WHERE p.id = $1`, [id]);
    return rows[0] ? toPlacement(rows[0]) : undefined;
  }

  /** The current revision number alone (a cheap freshness check for cached placements). */
  async revisionOf(id: string): Promise<number | undefined> {
    const rows: Array<{ revision: number }> = await this.db.query(
      `SELECT revision FROM placements WHERE id = $1`,
      [id],
    );
    return rows[0]?.revision;
  }

  async list(): Promise<StoredPlacement[]> {
    const rows: RevisionRow[] = await this.db.query(`${CURRENT} ORDER BY p.id`);
    return rows.map(toPlacement);
  }

  /**
   * Stores `definition` as the next revision and makes it current, in one transaction. The upsert locks the
   * placement's row, so concurrent writers (any process) get consecutive revision numbers.
   */
  async save(
    id: string,
    definition: PlacementDefinition,
    by: string,
    restoredFrom?: number,
  ): Promise<StoredPlacement> {
    return this.db.transaction((m) => this.saveIn(m, id, definition, by, restoredFrom));
  }

  /** Many placements in one transaction: all are stored or none (`aisle placements:import`). */
  async saveAll(
    entries: Array<{ id: string; definition: PlacementDefinition }>,
    by: string,
  ): Promise<StoredPlacement[]> {
    return this.db.transaction(async (m) => {
      const out: StoredPlacement[] = [];
      for (const e of entries) out.push(await this.saveIn(m, e.id, e.definition, by));
      return out;
    });
  }

  private async saveIn(
    m: EntityManager,
    id: string,
    definition: PlacementDefinition,
    by: string,
    restoredFrom?: number,
  ): Promise<StoredPlacement> {
    // A deleted placement's history is gone with it, so numbering restarts from what is left (nothing).
    const [row]: Array<{ revision: number }> = await m.query(
      `INSERT INTO placements (id, revision, updated_at)
       VALUES ($1::varchar, COALESCE((SELECT max(revision) FROM placement_revisions WHERE placement_id = $1::varchar), 0) + 1, now())
       ON CONFLICT (id) DO UPDATE SET revision = placements.revision + 1, updated_at = now()
       RETURNING revision`,
      [id],
    );
    const [rev]: RevisionRow[] = await m.query(
      `INSERT INTO placement_revisions (placement_id, revision, definition, created_by, created_at, restored_from)
       VALUES ($1, $2, $3, $4, now(), $5) RETURNING *`,
      [id, row.revision, JSON.stringify(definition), by, restoredFrom ?? null],
    );
    return toPlacement(rev);
  }

  async revisions(id: string): Promise<PlacementRevision[]> {
    const rows: RevisionRow[] = await this.db.query(
      `SELECT * FROM placement_revisions WHERE placement_id = $1 ORDER BY revision DESC`,
      [id],
    );
    return rows.map((r) => ({
      revision: r.revision,
      createdAt: r.created_at.toISOString(),
      createdBy: r.created_by,
      ...(r.restored_from !== null ? { restoredFrom: r.restored_from } : {}),
      definition: r.definition,
    }));
  }

  async revision(id: string, revision: number): Promise<PlacementDefinition | undefined> {
    const rows: Array<{ definition: PlacementDefinition }> = await this.db.query(
      `SELECT definition FROM placement_revisions WHERE placement_id = $1 AND revision = $2`,
      [id, revision],
    );
    return rows[0]?.definition;
  }

  /** Removes the placement and its history; false when there was none. */
  async delete(id: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      await m.query(`DELETE FROM placement_revisions WHERE placement_id = $1`, [id]);
      const [, count]: [unknown, number] = await m.query(`DELETE FROM placements WHERE id = $1`, [id]);
      return count > 0;
    });
  }
}
