import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { CatalogChanges } from '../catalog/catalog-changes';
import { CatalogSnapshot } from '../catalog/catalog-snapshot';
import type { AttributeValue } from '../catalog/item.entity';
import type { ItemDocument } from '../ranking/item-condition';

interface ExtraFields {
  brand: string | null;
  attributes: Readonly<Record<string, AttributeValue>>;
  createdAt: Date;
}

const NO_ATTRIBUTES: Readonly<Record<string, AttributeValue>> = Object.freeze({});

/**
 * The item fields rule conditions see beyond the catalog snapshot's (brand, attributes, createdAt), in
 * memory and kept current by the same catalog change stream, so a rule is evaluated without a database round
 * trip. Also the newest-on-sale-first order the `new-arrivals` kind serves. Other processes' writes arrive through
 * the same channel as the catalog snapshot's (see CatalogSnapshot's scale-out note).
 */
@Injectable()
export class ItemFieldsSnapshot implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly extra = new Map<string, ExtraFields>();
  private newest: string[] | undefined;
  private readonly sub: Subscription;
  private changes = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly catalog: CatalogSnapshot,
    changes: CatalogChanges,
  ) {
    this.sub = changes.changes$.subscribe((c) => {
      this.newest = undefined;
      this.changes += 1;
      if (c.kind === 'deleted') for (const id of c.ids) this.extra.delete(id);
      else
        for (const it of c.items)
          this.extra.set(it.id, {
            brand: it.brand,
            attributes: Object.keys(it.attributes).length > 0 ? it.attributes : NO_ATTRIBUTES,
            // An update keeps the item's creation time; a new item was created by this very write.
            createdAt: this.extra.get(it.id)?.createdAt ?? new Date(),
          });
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
  }

  onModuleDestroy(): void {
    this.sub.unsubscribe();
  }

  async reload(): Promise<void> {
    const rows: Array<{
      id: string;
      brand: string | null;
      attributes: Record<string, AttributeValue> | null;
      created_at: Date;
    }> = await this.db.query(`SELECT id, brand, attributes, created_at FROM items WHERE deleted_at IS NULL`);
    this.extra.clear();
    for (const r of rows)
      this.extra.set(r.id, {
        brand: r.brand,
        attributes: r.attributes && Object.keys(r.attributes).length > 0 ? r.attributes : NO_ATTRIBUTES,
        createdAt: r.created_at,
      });
    this.newest = undefined;
    this.changes += 1;
  }

  /**
   * Counts the changes of item documents: what a condition memo or a list made under rules was computed at.
   * (The catalog snapshot's own changes arrive through the same stream, so a stock or price change counts too.)
   */
  get generation(): number {
    return this.changes;
  }

  /** The item as conditions see it; undefined for deleted and unknown items. */
  document(id: string): ItemDocument | undefined {
    const meta = this.catalog.get(id);
    if (!meta) return undefined;
    const x = this.extra.get(id);
    return {
      id,
      category: meta.category,
      brand: x?.brand ?? null,
      price: meta.price,
      inStock: meta.inStock,
      createdAt: x?.createdAt ?? null,
      attributes: x?.attributes ?? NO_ATTRIBUTES,
    };
  }

  /** Live item ids, most recently on sale first (`availableFrom`; ties: id); recomputed after a catalog change. */
  newestFirst(): readonly string[] {
    this.newest ??= [...this.extra.keys()]
      .map((id): [string, number] => [id, this.catalog.get(id)?.availableFrom ?? 0])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([id]) => id);
    return this.newest;
  }
}
