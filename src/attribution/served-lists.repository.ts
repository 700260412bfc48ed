import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface ServedList {
  recommId: string;
  source: string;
  isPlacement: boolean;
  userId: string | null;
  sessionId: string | null;
  variant: string | null;
  experimentId: string | null;
  itemTeams: string[] | null;
  modelVersion: string | null;
  strategy: string;
  itemIds: string[];
  /** Epoch milliseconds: a number costs the request path no allocation and the batch no date formatting. */
  servedAt: number;
}

/** A PostgreSQL array literal of ids; ids are quoted (an id "NULL" is not a null) and escaped when needed. */
function arrayLiteral(ids: string[]): string {
  if (ids.length === 0) return '{}';
  if (!/["\\]/.test(ids.join(''))) return `{"${ids.join('","')}"}`;
  return `{${ids.map((id) => `"${id.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

@Injectable()
export class ServedListsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * One statement for the whole batch: twelve column arrays, unnested. Item id lists travel as array literals,
   * one text per list (unnest cannot take a ragged two-dimensional array), cast row by row by PostgreSQL.
   */
  async insert(lists: ServedList[]): Promise<void> {
    const n = lists.length;
    if (n === 0) return;
    const cols = Array.from({ length: 12 }, () => new Array<unknown>(n));
    for (let i = 0; i < n; i++) {
      const l = lists[i];
      cols[0][i] = l.recommId;
      cols[1][i] = l.source;
      cols[2][i] = l.isPlacement;
      cols[3][i] = l.userId;
      cols[4][i] = l.sessionId;
      cols[5][i] = l.variant;
      cols[6][i] = l.modelVersion;
      cols[7][i] = l.strategy;
      cols[8][i] = arrayLiteral(l.itemIds);
      cols[9][i] = l.servedAt;
      cols[10][i] = l.experimentId;
      cols[11][i] = l.itemTeams ? arrayLiteral(l.itemTeams) : null;
    }
    await this.db.query(
      `INSERT INTO served_lists
         (recomm_id, source, is_placement, user_id, session_id, variant, model_version, strategy, item_ids, served_at,
          experiment_id, item_teams)
       SELECT r.recomm_id, r.source, r.is_placement, r.user_id, r.session_id, r.variant, r.model_version, r.strategy,
              r.item_ids::varchar[], to_timestamp(r.served_ms / 1000.0), r.experiment_id, r.item_teams::varchar[]
       FROM unnest($1::varchar[], $2::varchar[], $3::boolean[], $4::varchar[], $5::varchar[], $6::varchar[],
                   $7::varchar[], $8::varchar[], $9::text[], $10::float8[], $11::varchar[], $12::text[])
            AS r(recomm_id, source, is_placement, user_id, session_id, variant, model_version, strategy, item_ids, served_ms,
                 experiment_id, item_teams)
       ON CONFLICT (recomm_id) DO NOTHING`,
      cols,
    );
  }

  /** Deletes lists served before `cutoff`, a bounded chunk at a time so one run never holds a long lock. */
  async deleteServedBefore(cutoff: Date, chunk = 10000): Promise<number> {
    let total = 0;
    for (;;) {
      const rows: Array<{ n: string }> = await this.db.query(
        `WITH del AS (
           DELETE FROM served_lists WHERE recomm_id IN (
             SELECT recomm_id FROM served_lists WHERE served_at < $1 LIMIT $2)
           RETURNING 1)
         SELECT count(*)::bigint AS n FROM del`,
        [cutoff.toISOString(), chunk],
      );
      const n = Number(rows[0]?.n ?? 0);
      total += n;
      if (n < chunk) return total;
    }
  }

  async eraseUser(userId: string): Promise<number> {
    const rows: Array<{ n: string }> = await this.db.query(
      `WITH del AS (DELETE FROM served_lists WHERE user_id = $1 RETURNING 1) SELECT count(*)::bigint AS n FROM del`,
      [userId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The source (placement or endpoint) of each of these recommIds that names a recorded list. */
  async sources(recommIds: string[]): Promise<Map<string, string>> {
    if (recommIds.length === 0) return new Map();
    const rows: Array<{ recomm_id: string; source: string }> = await this.db.query(
      `SELECT recomm_id, source FROM served_lists WHERE recomm_id = ANY($1::varchar[])`,
      [recommIds],
    );
    return new Map(rows.map((r) => [r.recomm_id, r.source]));
  }

  /** Which of these recommIds name a recorded list. */
  async existing(recommIds: string[]): Promise<Set<string>> {
    if (recommIds.length === 0) return new Set();
    const rows: Array<{ recomm_id: string }> = await this.db.query(
      `SELECT recomm_id FROM served_lists WHERE recomm_id = ANY($1::varchar[])`,
      [recommIds],
    );
    return new Set(rows.map((r) => r.recomm_id));
  }
}
