import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

/** Users whose events changed (ingested or erased), announced after commit so profile caches can drop them. */
@Injectable()
export class UserChanges {
  private readonly subject = new Subject<string[]>();
  readonly changes$ = this.subject.asObservable();

  publish(userIds: string[]): void {
    if (userIds.length > 0) this.subject.next(userIds);
  }
}
