import {
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { CHANNELS, parseCatalogNotice, type CatalogNotice } from '../sync/change-channels';
import { ChangeFeed } from '../sync/change-feed';
import { CatalogChanges } from './catalog-changes';

/**
 * How a change touched the fields the business rules read (itemRules): `rules` — the item came, went, or its stock
 * or category changed; `price` — of those, only its price. An id the change named but not listed here changed none
 * of them (a new title, a re-read of what was already there).
 */
export type RuleFieldChange = 'rules' | 'price';

/** Listeners of CatalogSnapshot.onChange. */
export type CatalogChangeListener = (
  changed: readonly string[] | 'all',
  ruleFields: ReadonlyMap<string, RuleFieldChange>,
) => void;

/** How `after` differs from `before` in the fields the rules read (undefined: an item absent). */
export function ruleFieldChange(
  before: ItemMeta | undefined,
  after: ItemMeta | undefined,
): RuleFieldChange | undefined {
  if (!before || !after) return before === after ? undefined : 'rules';
  if (before.inStock !== after.inStock || before.category !== after.category) return 'rules';
  return before.price !== after.price ? 'price' : undefined;
}

export interface ItemMeta {
  title: string;
  category: string | null;
  price: number | null;
  inStock: boolean;
  /** When it went on sale (epoch ms): new arrivals are told from dead stock by it. */
  availableFrom: number;
}

interface MetaRow {
  id: string;
  title: string;
  category: string | null;
  price: number | null;
  in_stock: boolean;
  available_from: Date;
  deleted_at: Date | null;
}

interface WaitingReread {
  ids: Set<string>;
  done: Promise<void>;
}

const META_COLUMNS = 'id, title, category, price, in_stock, available_from, deleted_at';

/**
 * The live catalog's filterable fields in memory, so business rules (in stock, category, price, deleted)
 * are checked inside the vector search without a database round trip, and a catalog change applies to the
 * very next request without waiting for a reindex. ~100 bytes per item: a million items is ~100 MB.
 *
 * A cache of PostgreSQL for every process's writes: this process's own apply synchronously (from the write);
 * every write, whoever made it, is then re-read from PostgreSQL when its notification arrives on the change
 * feed. Re-reads run one at a time in arrival order and each starts after its write committed, so the last
 * one for an item always leaves the item as PostgreSQL has it, whatever order local and remote writes raced in.
 */
@Injectable()
export class CatalogSnapshot implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('CatalogSnapshot');
  private readonly items = new Map<string, ItemMeta>();
  private readonly subs: Subscription[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** The id re-read queued and not started yet, which later notices join. */
  private waiting?: WaitingReread;
  private closed = false;
  private applied = 0;
  private readonly listeners = new Set<CatalogChangeListener>();
  /** The rule-field changes of the change being applied (see emit). */
  private ruleFields = new Map<string, RuleFieldChange>();
  /** Delete notices received so far: a re-read knows which of them arrived before it started. */
  private deleteNotices = 0;
  /**
   * Items a delete notice dropped before their re-read, by the count of delete notices at its arrival. A re-read
   * that started earlier may still find such an item live (it read before the delete committed) and must not
   * bring it back; one that started later read the delete (or a later write) and settles the item.
   */
  private readonly dropped = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly changes: CatalogChanges,
    @Optional() feed?: ChangeFeed,
  ) {
    this.subs.push(
      changes.changes$.subscribe((c) => {
        this.applied += 1;
        if (c.kind === 'deleted') for (const id of c.ids) this.remove(id);
        else
          for (const it of c.items)
            this.put(it.id, {
              title: it.title,
              category: it.category,
              price: it.price,
              inStock: it.inStock,
              availableFrom: Date.parse(it.availableFrom),
            });
        this.emit(c.ids);
        // A local write is announced after its commit, but a racing write to the same item (a delete through
        // another request or process) may have committed, and been followed, in between: applied as is, the
        // stale announcement would bring a deleted item back until its next write. Re-reading the ids behind
        // every notice already queued leaves them as PostgreSQL has them once the queue drains.
        if (!c.remote && feed) this.followOrRetry({ ids: c.ids });
      }),
    );
    if (feed)
      this.subs.push(
        feed.on(CHANNELS.catalog).subscribe((p) => this.followOrRetry(parseCatalogNotice(p))),
        feed.resync$.subscribe(() => this.followOrRetry({ reload: true })),
      );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const s of this.subs) s.unsubscribe();
  }

  /** Re-reads everything (at start-up, after the feed reconnected, or when a notice asks for it). */
  reload(): Promise<void> {
    return this.serial(async () => {
      const readAt = this.deleteNotices;
      const rows: MetaRow[] = await this.db.query(
        `SELECT ${META_COLUMNS} FROM items WHERE deleted_at IS NULL`,
      );
      const before = new Set(this.items.keys());
      this.applied += 1;
      this.items.clear();
      for (const r of rows) {
        if (this.droppedAfter(r.id, readAt)) continue;
        this.items.set(r.id, toMeta(r));
        before.delete(r.id);
      }
      for (const [id, at] of this.dropped) if (at <= readAt) this.dropped.delete(id);
      this.emit('all');
      if (before.size > 0) this.announceDeleted([...before]);
    });
  }

  /**
   * Applies a change notice: re-reads the items it names (or wrote since a time) from PostgreSQL. Notices naming
   * ids join the re-read still waiting in the queue, if there is one: it starts after they arrived, so it reads
   * their writes, and under a burst of writes one query follows many notices instead of the queue falling behind
   * by a round trip per notice (a delete must reach every server within a second, also under load). Items a
   * notice names as deleted are dropped at once, before their re-read: under load it waits behind other queries.
   */
  follow(notice: CatalogNotice): Promise<void> {
    if ('reload' in notice) return this.reload();
    if ('since' in notice)
      return this.serial(async () => {
        const readAt = this.deleteNotices;
        const rows: MetaRow[] = await this.db.query(
          `SELECT ${META_COLUMNS} FROM items WHERE updated_at >= $1`,
          [notice.since],
        );
        this.apply(
          rows.map((r) => r.id),
          rows,
          readAt,
        );
      });
    if (notice.deleted) this.drop(notice.ids);
    if (this.waiting) {
      for (const id of notice.ids) this.waiting.ids.add(id);
      return this.waiting.done;
    }
    const batch: WaitingReread = { ids: new Set(notice.ids), done: Promise.resolve() };
    this.waiting = batch;
    batch.done = this.serial(async () => {
      // From here on, a new notice may arrive after this query has read its item: it needs a re-read of its own.
      if (this.waiting === batch) this.waiting = undefined;
      const readAt = this.deleteNotices;
      const ids = [...batch.ids];
      const rows: MetaRow[] = await this.db.query(`SELECT ${META_COLUMNS} FROM items WHERE id = ANY($1)`, [
        ids,
      ]);
      this.apply(ids, rows, readAt);
    });
    return batch.done;
  }

  /**
   * Leaves `ids` as `rows` (read from PostgreSQL by a query started when `readAt` delete notices had arrived)
   * have them: an id without a live row is gone, and one dropped by a later delete notice stays gone.
   */
  private apply(ids: Iterable<string>, rows: MetaRow[], readAt: number): void {
    const found = new Map(rows.map((r) => [r.id, r]));
    const gone: string[] = [];
    this.applied += 1;
    for (const id of ids) {
      const r = found.get(id);
      if (this.droppedAfter(id, readAt)) continue;
      if (r && r.deleted_at === null) this.put(id, toMeta(r));
      else if (this.remove(id)) gone.push(id);
    }
    this.emit([...found.keys(), ...gone]);
    if (gone.length > 0) this.announceDeleted(gone);
  }

  /** Drops items a notice names as deleted, as a re-read finding them deleted would (which still follows). */
  private drop(ids: readonly string[]): void {
    this.deleteNotices += 1;
    const gone: string[] = [];
    for (const id of ids) {
      this.dropped.set(id, this.deleteNotices);
      if (this.remove(id)) gone.push(id);
    }
    if (gone.length === 0) return;
    this.applied += 1;
    this.emit(gone);
    this.announceDeleted(gone);
  }

  /**
   * Whether a delete notice dropped `id` after a read started with `readAt` notices in: that read is older than
   * the delete. A read that started after every drop of `id` settles it (the drop is forgotten).
   */
  private droppedAfter(id: string, readAt: number): boolean {
    const at = this.dropped.get(id);
    if (at === undefined) return false;
    if (at > readAt) return true;
    this.dropped.delete(id);
    return false;
  }

  /** A notice that could not be followed (database unreachable) leaves a reload to do once it is back. */
  private followOrRetry(notice: CatalogNotice, delayMs = 1000): void {
    this.follow(notice).catch(() => {
      if (this.closed) return;
      const t = setTimeout(
        () => this.followOrRetry({ reload: true }, Math.min(delayMs * 2, 30_000)),
        delayMs,
      );
      t.unref();
    });
  }

  /** Tells the served index (and anything else following deletes) about deletes made by another process. */
  private announceDeleted(ids: string[]): void {
    this.changes.publish({ kind: 'deleted', ids, remote: true });
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch((e: unknown) =>
      this.logger.error(`catalog snapshot refresh failed: ${(e as Error).message}`),
    );
    return next;
  }

  /**
   * Calls `listener` synchronously after every change with the ids it changed (`'all'`: a reload), so a copy
   * of the snapshot kept elsewhere (the session thread) follows it in the same order, and how each touched the
   * fields the business rules read (empty for a reload, which may have touched any). Returns the unsubscribe.
   */
  onChange(listener: CatalogChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many listeners follow the changes: an engine that is dropped must leave none behind (it would stay alive). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  private put(id: string, meta: ItemMeta): void {
    this.noteRuleFields(id, this.items.get(id), meta);
    this.items.set(id, meta);
  }

  private remove(id: string): boolean {
    this.noteRuleFields(id, this.items.get(id), undefined);
    return this.items.delete(id);
  }

  /** An id written twice in one change keeps the larger of its two changes. */
  private noteRuleFields(id: string, before: ItemMeta | undefined, after: ItemMeta | undefined): void {
    const how = ruleFieldChange(before, after);
    if (how === 'rules' || (how === 'price' && this.ruleFields.get(id) !== 'rules'))
      this.ruleFields.set(id, how);
  }

  private emit(changed: readonly string[] | 'all'): void {
    const ruleFields = this.ruleFields;
    this.ruleFields = new Map();
    for (const l of this.listeners) l(changed, ruleFields);
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

  entries(): IterableIterator<[string, ItemMeta]> {
    return this.items.entries();
  }

  /**
   * Counts the changes applied (local writes, re-reads, reloads): what a structure derived from the whole
   * snapshot was built at, so it is rebuilt only after a change rather than scanned again per request.
   */
  get generation(): number {
    return this.applied;
  }
}

function toMeta(r: MetaRow): ItemMeta {
  return {
    title: r.title,
    category: r.category,
    price: r.price,
    inStock: r.in_stock,
    availableFrom: r.available_from.getTime(),
  };
}
