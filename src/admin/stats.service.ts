import { Injectable } from '@nestjs/common';
import { ItemsRepository } from '../catalog/items.repository';
import { EventsRepository } from '../events/events.repository';

export interface StatsContributor {
  contribute(): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** Counts for GET /v1/admin/stats; index and model fields come from modules that register a contributor. */
@Injectable()
export class StatsService {
  private readonly contributors: StatsContributor[] = [];

  constructor(
    private readonly items: ItemsRepository,
    private readonly events: EventsRepository,
  ) {}

  register(c: StatsContributor): void {
    this.contributors.push(c);
  }

  async stats(): Promise<Record<string, unknown>> {
    const [items, counts] = await Promise.all([this.items.countLive(), this.events.counts()]);
    const base: Record<string, unknown> = {
      items,
      users: counts.users,
      events: counts.events,
      index: null,
      encoder: null,
      activeModel: null,
    };
    for (const c of this.contributors) Object.assign(base, await c.contribute());
    return base;
  }
}
