import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AttributeValue } from './item.entity';
import { contentHash, type Item, type ItemContent } from './item.model';

/** Each written item's id and the date it is on sale from, as stored. */
export type WrittenItems = Map<string, string>;

interface ItemRow {
  id: string;
  title: string;
  description: string | null;
  category: string | null;
  brand: string | null;
  price: number | null;
  in_stock: boolean;
  attributes: Record<string, AttributeValue>;
  image_url: string | null;
  available_from: Date;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, title, description, category, brand, price, in_stock, attributes, image_url, available_from, created_at, updated_at';

function toItem(r: ItemRow): Item {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    category: r.category,
    brand: r.brand,
    price: r.price,
    inStock: r.in_stock,
    attributes: r.attributes,
    imageUrl: r.image_url,
    availableFrom: r.available_from.toISOString(),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** The catalog's side of PostgreSQL. Soft-deleted rows are invisible to every read here. */
@Injectable()
export class ItemsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Upserts in one transaction (atomic: all or nothing). Rows whose content hash is unchanged and that are
   * live are left alone, so `updated_at` and embeddings stay put; a changed `availableFrom` alone is written
   * by a second statement (it is no part of the hash: omitting it keeps the stored date). Returns the items
   * actually written, with their stored dates.
   * A PUT is "this item exists with this content": it re-creates a deleted item on purpose (the client sent
   * the whole item). Partial changes go through `update`, which never touches a deleted row.
   */
  async upsert(items: ItemContent[]): Promise<WrittenItems> {
    const written: WrittenItems = new Map();
    if (items.length === 0) return written;
    const payload = items.map((it) => ({
      id: it.id,
      title: it.title,
      description: it.description,
      category: it.category,
      brand: it.brand,
      price: it.price,
      in_stock: it.inStock,
      attributes: it.attributes,
      image_url: it.imageUrl,
      available_from: it.availableFrom ?? null,
      content_hash: contentHash(it),
    }));
    const recordset = `jsonb_to_recordset($1::jsonb) AS x(id varchar, title text, description text, category text,
            brand text, price double precision, in_stock boolean, attributes jsonb, image_url text,
            available_from timestamptz, content_hash char(64))`;
    await this.db.transaction(async (tx) => {
      const rows: Array<{ id: string; available_from: Date }> = await tx.query(
        `INSERT INTO items (id, title, description, category, brand, price, in_stock, attributes, image_url,
                            available_from, content_hash)
         SELECT id, title, description, category, brand, price, in_stock, attributes, image_url,
                coalesce(available_from, now()), content_hash
         FROM ${recordset}
         ON CONFLICT (id) DO UPDATE SET
           title = EXCLUDED.title, description = EXCLUDED.description, category = EXCLUDED.category,
           brand = EXCLUDED.brand, price = EXCLUDED.price, in_stock = EXCLUDED.in_stock,
           attributes = EXCLUDED.attributes, image_url = EXCLUDED.image_url, content_hash = EXCLUDED.content_hash,
           deleted_at = NULL, updated_at = now()
         WHERE items.content_hash <> EXCLUDED.content_hash OR items.deleted_at IS NOT NULL
         RETURNING id, available_from`,
        [JSON.stringify(payload)],
      );
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
      const dated: Array<{ id: string; available_from: Date }> = await tx.query(
        `WITH upd AS (
           UPDATE items i SET available_from = x.available_from, updated_at = now()
           FROM ${recordset}
           WHERE i.id = x.id AND x.available_from IS NOT NULL AND i.available_from <> x.available_from
           RETURNING i.id, i.available_from)
         SELECT * FROM upd`,
        [JSON.stringify(payload)],
      );
      for (const r of [...rows, ...dated]) written.set(r.id, r.available_from.toISOString());
    });
    return written;
  }

  /**
   * Read-modify-write of one live item under its row lock, so a concurrent delete either happens first (then
   * there is no live row and this returns null) or waits for this write and then deletes the result — a
   * delete is never undone by a racing change. `written` is false when the change left the content as it was
   * (no update, `updated_at` and embeddings stay put).
   */
  async update(
    id: string,
    change: (current: Item) => ItemContent,
  ): Promise<{ item: Item; written: boolean } | null> {
    return this.db.transaction(async (tx) => {
      const rows: ItemRow[] = await tx.query(
        `SELECT ${COLUMNS} FROM items WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`,
        [id],
      );
      if (!rows[0]) return null;
      const next = change(toItem(rows[0]));
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
      const updated: ItemRow[] = await tx.query(
        `WITH upd AS (
           UPDATE items SET title = $2, description = $3, category = $4, brand = $5, price = $6, in_stock = $7,
             attributes = $8::jsonb, image_url = $9, content_hash = $10,
             available_from = coalesce($11::timestamptz, available_from), updated_at = now()
           WHERE id = $1 AND deleted_at IS NULL
             AND (content_hash <> $10 OR available_from <> coalesce($11::timestamptz, available_from))
           RETURNING ${COLUMNS})
         SELECT * FROM upd`,
        [
          id,
          next.title,
          next.description,
          next.category,
          next.brand,
          next.price,
          next.inStock,
          JSON.stringify(next.attributes),
          next.imageUrl,
          contentHash(next),
          next.availableFrom ?? null,
        ],
      );
      return updated[0]
        ? { item: toItem(updated[0]), written: true }
        : { item: toItem(rows[0]), written: false };
    });
  }

  async findById(id: string): Promise<Item | null> {
    const rows: ItemRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM items WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0] ? toItem(rows[0]) : null;
  }

  async findMany(ids: string[]): Promise<Item[]> {
    if (ids.length === 0) return [];
    const rows: ItemRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM items WHERE id = ANY($1) AND deleted_at IS NULL`,
      [ids],
    );
    return rows.map(toItem);
  }

  /** Which of `ids` name live items. */
  async existing(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM items WHERE id = ANY($1) AND deleted_at IS NULL`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async softDelete(id: string): Promise<boolean> {
    // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH upd AS (UPDATE items SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id)
       SELECT id FROM upd`,
      [id],
    );
    return rows.length > 0;
  }

  /** Items by distinct purchasers (events of `types`: what the shop learns from) since `since`, most first. */
  async popularSince(
    since: Date,
    limit: number,
    types: readonly string[],
  ): Promise<Array<{ id: string; buyers: number }>> {
    const rows: Array<{ item_id: string; buyers: string }> = await this.db.query(
      `SELECT e.item_id, count(DISTINCT e.user_id)::bigint AS buyers FROM events e
       JOIN items i ON i.id = e.item_id AND i.deleted_at IS NULL
       WHERE e.type = ANY($3::varchar[]) AND e.occurred_at >= $1
       GROUP BY e.item_id ORDER BY buyers DESC, e.item_id LIMIT $2`,
      [since.toISOString(), limit, types],
    );
    return rows.map((r) => ({ id: r.item_id, buyers: Number(r.buyers) }));
  }

  async countLive(): Promise<number> {
    const rows: Array<{ n: string }> = await this.db.query(
      `SELECT count(*)::bigint AS n FROM items WHERE deleted_at IS NULL`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
