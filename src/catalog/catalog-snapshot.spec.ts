import type { DataSource } from 'typeorm';
import { CatalogChanges } from './catalog-changes';
import { CatalogSnapshot, type RuleFieldChange } from './catalog-snapshot';

interface Row {
  id: string;
  title: string;
  category: string | null;
  price: number | null;
  in_stock: boolean;
  available_from: Date;
  deleted_at: Date | null;
}

/**
 * A hand-made stand-in for PostgreSQL's items table: queries by id answer from `table` as it is when they run,
 * and each one waits until the test releases it, so notices can pile up behind a slow query.
 */
class FakeItemsDb {
  readonly table = new Map<string, Row>();
  readonly idQueries: string[][] = [];
  private readonly held: Array<() => void> = [];

  query(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (!sql.includes('id = ANY'))
      return Promise.resolve([...this.table.values()].filter((r) => !r.deleted_at));
    const ids = params[0] as string[];
    this.idQueries.push(ids);
    return new Promise((resolve) =>
      this.held.push(() => resolve(ids.flatMap((id) => (this.table.has(id) ? [this.table.get(id)!] : [])))),
    );
  }

  /** Lets every query waiting so far answer, with the table as it is now. */
  releaseAll(): void {
    for (const r of this.held.splice(0)) r();
  }

  put(id: string, deleted = false): void {
    this.table.set(id, {
      id,
      title: `item ${id}`,
      category: null,
      price: 1,
      in_stock: true,
      available_from: new Date('2026-01-01T00:00:00Z'),
      deleted_at: deleted ? new Date() : null,
    });
  }
}

const flush = () => new Promise((r) => setImmediate(r));

describe('CatalogSnapshot following change notices', () => {
  it('folds the notices that arrive while a re-read runs into one query, and ends as the table is', async () => {
    const db = new FakeItemsDb();
    const snapshot = new CatalogSnapshot(db as unknown as DataSource, new CatalogChanges());
    for (let i = 0; i < 50; i++) db.put(`i${i}`);

    const first = snapshot.follow({ ids: ['i0'] });
    await flush();
    expect(db.idQueries).toEqual([['i0']]);
    // A burst of writes, one notice each, while the first re-read is still waiting on the database.
    const rest = Array.from({ length: 49 }, (_, k) => snapshot.follow({ ids: [`i${k + 1}`] }));
    // Some of them are deletes, committed before their notices arrived.
    for (let k = 1; k < 50; k += 2) db.put(`i${k}`, true);
    db.releaseAll();
    await first;
    await flush();
    // One more query follows the 49 notices, not 49.
    expect(db.idQueries).toHaveLength(2);
    expect(db.idQueries[1]).toHaveLength(49);
    db.releaseAll();
    await Promise.all(rest);

    for (let k = 0; k < 50; k++) expect(snapshot.get(`i${k}`) !== undefined).toBe(k % 2 === 0);
  });

  it('re-reads again for a notice that arrives after the waiting re-read has started', async () => {
    const db = new FakeItemsDb();
    const snapshot = new CatalogSnapshot(db as unknown as DataSource, new CatalogChanges());
    db.put('a');
    const first = snapshot.follow({ ids: ['a'] });
    await flush();
    // The first query has read 'a' as live; then 'a' is deleted and its notice arrives.
    db.releaseAll();
    db.put('a', true);
    const second = snapshot.follow({ ids: ['a'] });
    await first;
    await flush();
    db.releaseAll();
    await second;
    expect(db.idQueries).toEqual([['a'], ['a']]);
    expect(snapshot.get('a')).toBeUndefined();
  });

  it('counts every change it applies (derived structures rebuild after one), reads alone count nothing', async () => {
    const db = new FakeItemsDb();
    const changes = new CatalogChanges();
    const snapshot = new CatalogSnapshot(db as unknown as DataSource, changes);
    db.put('a');
    const seen = [snapshot.generation];
    await snapshot.reload();
    seen.push(snapshot.generation);
    changes.publish({ kind: 'deleted', ids: ['a'] });
    seen.push(snapshot.generation);
    const reread = snapshot.follow({ ids: ['a'] });
    await flush();
    db.releaseAll();
    await reread;
    seen.push(snapshot.generation);
    expect([...snapshot.entries()].map(([id]) => id)).toEqual(['a']);
    seen.push(snapshot.generation);
    expect(seen).toEqual([0, 1, 2, 3, 3]);
  });

  it('tells its listeners which changed items changed a field the business rules read, and how', async () => {
    const db = new FakeItemsDb();
    const changes = new CatalogChanges();
    const snapshot = new CatalogSnapshot(db as unknown as DataSource, changes);
    for (const id of ['title', 'price', 'stock', 'category', 'gone', 'same']) db.put(id);
    const heard: Array<[readonly string[] | 'all', Record<string, RuleFieldChange>]> = [];
    snapshot.onChange((changed, how) => heard.push([changed, Object.fromEntries(how)]));
    await snapshot.reload();
    expect(heard).toEqual([['all', {}]]);
    const row = (id: string) => db.table.get(id)!;
    row('title').title = 'a new title';
    row('price').price = 2;
    row('stock').in_stock = false;
    row('category').category = 'Garden';
    row('gone').deleted_at = new Date();
    db.put('new');
    const ids = ['title', 'price', 'stock', 'category', 'gone', 'same', 'new'];
    const reread = snapshot.follow({ ids });
    await flush();
    db.releaseAll();
    await reread;
    expect(heard[1][0]).toEqual(expect.arrayContaining(ids));
    expect(heard[1][1]).toEqual({
      price: 'price',
      stock: 'rules',
      category: 'rules',
      gone: 'rules',
      new: 'rules',
    });
    // A local write: a price and a stock change of one item in one change count as a rules change.
    const stored = (price: number, inStock: boolean) => ({
      id: 'price',
      title: 'item price',
      description: null,
      category: null,
      brand: null,
      price,
      inStock,
      attributes: {},
      imageUrl: null,
      availableFrom: '2026-01-01T00:00:00.000Z',
    });
    changes.publish({
      kind: 'upserted',
      ids: ['price', 'price'],
      items: [stored(3, true), stored(3, false)],
    });
    // (The re-read also announced the delete it found, which changed nothing more: an empty map.)
    expect(heard.at(-2)).toEqual([['gone'], {}]);
    expect(heard.at(-1)).toEqual([['price', 'price'], { price: 'rules' }]);
  });
});
