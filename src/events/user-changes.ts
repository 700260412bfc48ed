import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

/** Users whose events changed (ingested or erased), announced after commit so profile caches can drop them. */
@Injectable()
export class UserChanges {
  private readonly subject = new Subject<string[]>();
  private readonly purchasesSubject = new Subject<string[]>();
  readonly changes$ = this.subject.asObservable();
  /** The subset of changes that touched purchases: only those move popularity and co-purchase. */
  readonly purchases$ = this.purchasesSubject.asObservable();

  publish(userIds: string[], opts: { purchases: boolean } = { purchases: true }): void {
    if (userIds.length === 0) return;
    this.subject.next(userIds);
    if (opts.purchases) this.purchasesSubject.next(userIds);
  }
}
