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
  servedAt: Date;
}

@Injectable()
export class ServedListsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One statement for the whole batch; item id arrays travel as JSON since unnest cannot take ragged arrays. */
  async insert(lists: ServedList[]): Promise<void> {
    if (lists.length === 0) return;
    await this.db.query(
      `INSERT INTO served_lists
         (recomm_id, source, is_placement, user_id, session_id, variant, model_version, strategy, item_ids, served_at,
          experiment_id, item_teams)
       SELECT r.recomm_id, r.source, r.is_placement, r.user_id, r.session_id, r.variant, r.model_version, r.strategy,
              ARRAY(SELECT jsonb_array_elements_text(r.item_ids))::varchar[], r.served_at, r.experiment_id,
              CASE WHEN r.item_teams IS NULL THEN NULL
                   ELSE ARRAY(SELECT jsonb_array_elements_text(r.item_teams))::varchar[] END
       FROM unnest($1::varchar[], $2::varchar[], $3::boolean[], $4::varchar[], $5::varchar[], $6::varchar[],
                   $7::varchar[], $8::varchar[], $9::jsonb[], $10::timestamptz[], $11::varchar[], $12::jsonb[])
            AS r(recomm_id, source, is_placement, user_id, session_id, variant, model_version, strategy, item_ids, served_at,
                 experiment_id, item_teams)
       ON CONFLICT (recomm_id) DO NOTHING`,
      [
        lists.map((l) => l.recommId),
        lists.map((l) => l.source),
        lists.map((l) => l.isPlacement),
        lists.map((l) => l.userId),
        lists.map((l) => l.sessionId),
        lists.map((l) => l.variant),
        lists.map((l) => l.modelVersion),
        lists.map((l) => l.strategy),
        lists.map((l) => JSON.stringify(l.itemIds)),
        lists.map((l) => l.servedAt.toISOString()),
        lists.map((l) => l.experimentId),
        lists.map((l) => (l.itemTeams ? JSON.stringify(l.itemTeams) : null)),
      ],
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
