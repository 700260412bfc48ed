import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { CatalogChanges } from './catalog-changes';

export interface ItemMeta {
  title: string;
  category: string | null;
  price: number | null;
  inStock: boolean;
}

/**
 * The live catalog's filterable fields in memory, so business rules (in stock, category, price, deleted)
 * are checked inside the vector search without a database round trip, and a catalog change applies to the
 * very next request without waiting for a reindex. ~100 bytes per item: a million items is ~100 MB.
 * Scale-out note: other replicas learn of changes only through their own writes or a restart; a LISTEN/NOTIFY
 * channel is the planned remedy.
 */
@Injectable()
export class CatalogSnapshot implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly items = new Map<string, ItemMeta>();
  private sub: Subscription | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    changes: CatalogChanges,
  ) {
    this.sub = changes.changes$.subscribe((c) => {
      if (c.kind === 'deleted') for (const id of c.ids) this.items.delete(id);
      else
        for (const it of c.items)
          this.items.set(it.id, {
            title: it.title,
            category: it.category,
            price: it.price,
            inStock: it.inStock,
          });
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  async reload(): Promise<void> {
    const rows: Array<{
      id: string;
      title: string;
      category: string | null;
      price: number | null;
      in_stock: boolean;
    }> = await this.db.query(
      `SELECT id, title, category, price, in_stock FROM items WHERE deleted_at IS NULL`,
    );
    this.items.clear();
    for (const r of rows)
      this.items.set(r.id, { title: r.title, category: r.category, price: r.price, inStock: r.in_stock });
  }

  get(id: string): ItemMeta | undefined {
    return this.items.get(id);
  }

  get size(): number {
    return this.items.size;
  }

  ids(): IterableIterator<string> {
    return this.items.keys();
  }
}
