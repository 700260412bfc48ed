import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { itemText, textHash } from './item-text';

export interface ItemTextRow {
  id: string;
  text: string;
  hash: string;
}

const toBytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const fromBytes = (b: Buffer) => {
  // Copy: the pg driver's Buffer may sit at an offset that is not 4-byte aligned.
  const out = new Float32Array(b.byteLength / 4);
  Buffer.from(out.buffer).set(b);
  return out;
};

/** Item texts and their stored vectors, keyed by (item, encoder, text hash). */
@Injectable()
export class EmbeddingsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Every live item's embedding text and its hash. */
  async liveItemTexts(): Promise<ItemTextRow[]> {
    const rows: Array<{
      id: string;
      title: string;
      description: string | null;
      category: string | null;
      brand: string | null;
    }> = await this.db.query(
      `SELECT id, title, description, category, brand FROM items WHERE deleted_at IS NULL ORDER BY id`,
    );
    return rows.map((r) => {
      const text = itemText(r);
      return { id: r.id, text, hash: textHash(text) };
    });
  }

  /** Which (item, hash) pairs already have a vector of this encoder. */
  async existing(encoderId: string, items: ItemTextRow[]): Promise<Set<string>> {
    const rows: Array<{ item_id: string }> = await this.db.query(
      `SELECT e.item_id FROM item_embeddings e
       JOIN unnest($2::varchar[], $3::char(64)[]) AS t(id, h) ON e.item_id = t.id AND e.text_hash = t.h
       WHERE e.encoder_id = $1`,
      [encoderId, items.map((i) => i.id), items.map((i) => i.hash)],
    );
    return new Set(rows.map((r) => r.item_id));
  }

  async save(
    encoderId: string,
    rows: Array<{ id: string; hash: string; vector: Float32Array }>,
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO item_embeddings (item_id, encoder_id, text_hash, dimension, vector)
       SELECT t.id, $1, t.h, t.d, t.v FROM unnest($2::varchar[], $3::char(64)[], $4::int[], $5::bytea[]) AS t(id, h, d, v)
       ON CONFLICT (item_id, encoder_id, text_hash) DO UPDATE SET vector = EXCLUDED.vector, dimension = EXCLUDED.dimension`,
      [
        encoderId,
        rows.map((r) => r.id),
        rows.map((r) => r.hash),
        rows.map((r) => r.vector.length),
        rows.map((r) => toBytes(r.vector)),
      ],
    );
  }

  /** The current-text vector of each given item (items without one are absent from the map). */
  async vectorsFor(encoderId: string, items: ItemTextRow[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const chunk = 5000;
    for (let i = 0; i < items.length; i += chunk) {
      const part = items.slice(i, i + chunk);
      const rows: Array<{ item_id: string; vector: Buffer }> = await this.db.query(
        `SELECT e.item_id, e.vector FROM item_embeddings e
         JOIN unnest($2::varchar[], $3::char(64)[]) AS t(id, h) ON e.item_id = t.id AND e.text_hash = t.h
         WHERE e.encoder_id = $1`,
        [encoderId, part.map((r) => r.id), part.map((r) => r.hash)],
      );
      for (const r of rows) out.set(r.item_id, fromBytes(r.vector));
    }
    return out;
  }

  /** Drops vectors of this encoder for texts items no longer have (keeps the table to one row per live item). */
  async pruneStale(encoderId: string, items: ItemTextRow[]): Promise<number> {
    const rows: Array<{ n: string }> = await this.db.query(
      `WITH del AS (
         DELETE FROM item_embeddings e WHERE e.encoder_id = $1 AND NOT EXISTS (
           SELECT 1 FROM unnest($2::varchar[], $3::char(64)[]) AS t(id, h) WHERE t.id = e.item_id AND t.h = e.text_hash)
         RETURNING 1)
       SELECT count(*)::bigint AS n FROM del`,
      [encoderId, items.map((i) => i.id), items.map((i) => i.hash)],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
