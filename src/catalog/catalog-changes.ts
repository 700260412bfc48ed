import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

import type { StoredItem } from './item.model';

/** `remote`: written by another process and learnt from the change feed (so this process queues no job for it). */
export type CatalogChange = (
  { kind: 'upserted'; ids: string[]; items: StoredItem[] } | { kind: 'deleted'; ids: string[] }
) & { remote?: boolean };

/**
 * Catalog writes are announced here after they commit, so that indexing and the in-memory snapshot react
 * without the catalog depending on them. Delivery is synchronous: by the time the write's HTTP response is
 * sent, every subscriber has seen it (a deleted item is gone from the very next request). Deletes made by
 * other processes are announced here too, as `remote`, once the change feed has told the snapshot.
 */
@Injectable()
export class CatalogChanges {
  private readonly subject = new Subject<CatalogChange>();
  readonly changes$ = this.subject.asObservable();

  publish(change: CatalogChange): void {
    if (change.ids.length > 0) this.subject.next(change);
  }
}
