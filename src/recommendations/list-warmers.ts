import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

/** Warms one user's lists of some other kind; resolves to how many lists it computed. */
export type UserListWarmer = (userId: string) => Promise<number>;

/**
 * Lists the warmer keeps fresh besides the engine's default personalised list (placements with rules
 * register theirs), and the signal that they changed, so the warmer passes again soon rather than in half a
 * TTL. A registry rather than an import: the modules that own those lists depend on this one.
 */
@Injectable()
export class ListWarmers {
  private readonly warmers: UserListWarmer[] = [];
  private readonly nudged = new Subject<void>();
  readonly nudges$ = this.nudged.asObservable();

  register(warmer: UserListWarmer): void {
    this.warmers.push(warmer);
  }

  all(): readonly UserListWarmer[] {
    return this.warmers;
  }

  /** What the registered warmers warm has changed (a placement was written). */
  nudge(): void {
    this.nudged.next();
  }
}
