import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

export interface CatalogChange {
  kind: 'upserted' | 'deleted';
  ids: string[];
}

/**
 * Catalog writes are announced here after they commit, so that indexing (a later module) can react
 * without the catalog depending on it.
 */
@Injectable()
export class CatalogChanges {
  private readonly subject = new Subject<CatalogChange>();
  readonly changes$ = this.subject.asObservable();

  publish(change: CatalogChange): void {
    if (change.ids.length > 0) this.subject.next(change);
  }
}
