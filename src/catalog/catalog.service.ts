import { Injectable } from '@nestjs/common';
import { notFound } from '../common/problem';
import { CatalogChanges } from './catalog-changes';
import type { ItemInput, ItemPatch } from './dto/item.schema';
import { normalizeItem, type Item } from './item.model';
import { ItemsRepository } from './items.repository';

@Injectable()
export class CatalogService {
  constructor(
    private readonly items: ItemsRepository,
    private readonly changes: CatalogChanges,
  ) {}

  async upsert(batch: ItemInput[]): Promise<{ upserted: number; unchanged: number }> {
    const items = batch.map(normalizeItem);
    const written = await this.items.upsert(items);
    const stored = items.flatMap((i) => {
      const availableFrom = written.get(i.id);
      return availableFrom === undefined ? [] : [{ ...i, availableFrom }];
    });
    this.changes.publish({ kind: 'upserted', ids: [...written.keys()], items: stored });
    return { upserted: written.size, unchanged: batch.length - written.size };
  }

  async get(id: string): Promise<Item> {
    const item = await this.items.findById(id);
    if (!item) throw notFound(`Item "${id}"`);
    return item;
  }

  /** Live items by id, in the order asked, and the ids that name no live item (unknown or deleted). */
  async getMany(ids: string[]): Promise<{ items: Item[]; missing: string[] }> {
    const found = new Map((await this.items.findMany(ids)).map((i) => [i.id, i]));
    return {
      items: ids.flatMap((id) => found.get(id) ?? []),
      missing: ids.filter((id) => !found.has(id)),
    };
  }

  /** A PATCH of a deleted (or unknown) item is 404, even when the delete raced it: see ItemsRepository.update. */
  async patch(id: string, patch: ItemPatch): Promise<Item> {
    const result = await this.items.update(id, (current) =>
      normalizeItem({
        id,
        title: patch.title ?? current.title,
        description: patch.description !== undefined ? patch.description : current.description,
        category: patch.category !== undefined ? patch.category : current.category,
        brand: patch.brand !== undefined ? patch.brand : current.brand,
        price: patch.price !== undefined ? patch.price : current.price,
        inStock: patch.inStock ?? current.inStock,
        attributes: patch.attributes ?? current.attributes,
        imageUrl: patch.imageUrl !== undefined ? patch.imageUrl : current.imageUrl,
        // Only a date the patch gives: the stored one keeps its full precision (an ISO string has milliseconds,
        // PostgreSQL microseconds), so a patch that changes nothing writes nothing.
        availableFrom: patch.availableFrom,
      }),
    );
    if (!result) throw notFound(`Item "${id}"`);
    if (result.written) this.changes.publish({ kind: 'upserted', ids: [id], items: [result.item] });
    return result.item;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.items.softDelete(id))) throw notFound(`Item "${id}"`);
    this.changes.publish({ kind: 'deleted', ids: [id] });
  }
}
