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
  /** Whether a whole-catalog read also waits for the test (it reads the table as it was when asked). */
  holdReloads = false;

  query(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (!sql.includes('id = ANY')) {
      const live = [...this.table.values()].filter((r) => !r.deleted_at).map((r) => ({ ...r }));
      if (!this.holdReloads) return Promise.resolve(live);
      return new Promise((resolve) => this.held.push(() => resolve(live)));
    }
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

describe('CatalogSnapshot following delete notices', () => {
  it('drops an item a notice names as deleted before its re-read answers, and tells its followers', async () => {
    const db = new FakeItemsDb();
    const changes = new CatalogChanges();
    const snapshot = new CatalogSnapshot(db as unknown as DataSource, changes);
    for (const id of ['a', 'b']) db.put(id);
    await snapshot.reload();
    const heard: Array<readonly string[] | 'all'> = [];
    snapshot.onChange((changed) => heard.push(changed));
    const announced: string[][] = [];
    changes.changes$.subscribe((c) => {
      if (c.kind === 'deleted') announced.push([...c.ids]);
    });

    db.put('a', true);
    const reread = snapshot.follow({ ids: ['a'], deleted: true });
    // The re-read is still waiting on the database: the item is already gone, and so is its announcement.
    expect(snapshot.get('a')).toBeUndefined();
    expect(snapshot.get('b')).toBeDefined();
    expect(heard[0]).toEqual(['a']);
    expect(announced).toEqual([['a']]);
    await flush();
    expect(db.idQueries).toEqual([['a']]);
    db.releaseAll();
    await reread;
    expect(snapshot.get('a')).toBeUndefined();
    // A notice without the flag still waits for its re-read.
    db.put('b', true);
    const plain = snapshot.follow({ ids: ['b'] });
    expect(snapshot.get('b')).toBeDefined();
    await flush();
    db.releaseAll();
    await plain;
    expect(snapshot.get('b')).toBeUndefined();
  });

  it('a re-read that started before a delete notice cannot bring the item back; one after it settles the item', async () => {
    const db = new FakeItemsDb();
    const snapshot = new CatalogSnapshot(db as unknown as DataSource, new CatalogChanges());
    db.put('a');
    // A re-read of 'a' (an earlier price change) is under way and will find it live…
    const earlier = snapshot.follow({ ids: ['a'] });
    await flush();
    // …when 'a' is deleted and the delete's notice arrives.
    db.releaseAll();
    db.put('a', true);
    const afterDelete = snapshot.follow({ ids: ['a'], deleted: true });
    await earlier;
    expect(snapshot.get('a')).toBeUndefined();
    await flush();
    db.releaseAll();
    await afterDelete;
    expect(snapshot.get('a')).toBeUndefined();

    // Re-created later: the drop was settled, so the next re-read brings it back.
    db.put('a');
    const recreated = snapshot.follow({ ids: ['a'] });
    await flush();
    db.releaseAll();
    await recreated;
    expect(snapshot.get('a')).toBeDefined();
  });

  it('a reload that started before a delete notice cannot bring the item back either', async () => {
    const db = new FakeItemsDb();
    const snapshot = new CatalogSnapshot(db as unknown as DataSource, new CatalogChanges());
    for (const id of ['a', 'b']) db.put(id);
    await snapshot.reload();
    // The reload reads the table before the delete commits, and answers after its notice arrived.
    db.holdReloads = true;
    const reload = snapshot.reload();
    await flush();
    db.put('a', true);
    const followed = snapshot.follow({ ids: ['a'], deleted: true });
    db.releaseAll();
    await reload;
    expect(snapshot.get('a')).toBeUndefined();
    expect(snapshot.get('b')).toBeDefined();
    await flush();
    db.releaseAll();
    await followed;
    expect(snapshot.get('a')).toBeUndefined();
  });
});
