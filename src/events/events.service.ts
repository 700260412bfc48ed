import { Injectable } from '@nestjs/common';
import { ItemsRepository } from '../catalog/items.repository';
import { ProblemException, type FieldError } from '../common/problem';
import { toNewEvent, type EventInput } from './dto/event.schema';
import { LearningEvents } from './learning-events.service';
import { EventsRepository, type NewEvent, type StoredEvent } from './events.repository';
import { MetricsService } from '../metrics/metrics.service';
import { UserChanges } from './user-changes';
import { ServedListRecorder } from '../attribution/served-list.recorder';
import { AnalyticsRollups } from '../attribution/analytics-rollups';

@Injectable()
export class EventsService {
  constructor(
    private readonly events: EventsRepository,
    private readonly items: ItemsRepository,
    private readonly users: UserChanges,
    private readonly metrics: MetricsService,
    private readonly servedLists: ServedListRecorder,
    private readonly rollups: AnalyticsRollups,
    private readonly learning: LearningEvents,
  ) {}

  /** Events as the API receives them (already schema-validated); a missing timestamp means now. */
  async ingest(
    batch: EventInput[],
  ): Promise<{ accepted: number; duplicates: number; unknownRecommIds: number }> {
    const now = new Date();
    const events = batch.map((e) => toNewEvent(e, now));
    const { clicks, ...result } = await this.store(events);
    const sources = await this.servedListSources(events);
    // Clicks per placement (or endpoint): stored ones only, so a repeated eventId is never counted twice.
    for (const recommId of clicks) {
      const source = sources.get(recommId);
      if (source !== undefined) this.metrics.clicks.inc({ source });
    }
    const unknownRecommIds = events.filter((e) => e.recommId && !sources.has(e.recommId)).length;
    return { ...result, unknownRecommIds };
  }

  /**
   * Where each recommId named by the batch was served. An event naming a recommId no served list has is
   * stored like any other, and analytics joins it to nothing; the response only counts them for the client.
   * Lists this process has not written yet are flushed first, since a shopper can click faster than the
   * batch writer runs.
   */
  private async servedListSources(events: NewEvent[]): Promise<Map<string, string>> {
    const ids = [...new Set(events.filter((e) => e.recommId).map((e) => e.recommId as string))];
    if (ids.length === 0) return new Map();
    let known = await this.servedLists.sources(ids);
    if (known.size < ids.length) {
      await this.servedLists.flush();
      known = await this.servedLists.sources(ids);
    }
    return known;
  }

  /** Stores a batch in one statement after checking every item exists; an unknown item rejects all of it. */
  async store(batch: NewEvent[]): Promise<{ accepted: number; duplicates: number; clicks: string[] }> {
    const ids = [...new Set(batch.map((e) => e.itemId))];
    const known = await this.items.existing(ids);
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      const errors: FieldError[] = [];
      batch.forEach((e, i) => {
        if (!known.has(e.itemId))
          errors.push({ path: `events[${i}].itemId`, message: `unknown item "${e.itemId}"` });
      });
      throw new ProblemException(
        400,
        `The batch names ${unknown.length} unknown item(s); nothing was stored.`,
        errors,
        {
          unknownItemIds: unknown,
        },
      );
    }
    const { stored, clicks } = await this.events.insertCountingClicks(batch);
    this.metrics.eventsIngested.inc(stored);
    this.users.publish([...new Set(batch.map((e) => e.userId))], {
      // Every event is shown to learnsFrom (no short cut): a stronger type than the one learned from counts.
      purchases: batch.reduce((learned, e) => this.learning.learnsFrom(e.type) || learned, false),
    });
    return { accepted: stored, duplicates: batch.length - stored, clicks };
  }

  history(userId: string, limit: number): Promise<StoredEvent[]> {
    return this.events.recentForUser(userId, limit);
  }

  async erase(userId: string): Promise<void> {
    await this.events.eraseUser(userId);
    await this.servedLists.forgetUser(userId);
    // Analytics already compute the touched days from the raw rows (the deletes marked them); recomputing
    // those days' rollups soon also removes the erased rows' share from the stored aggregates.
    this.rollups.refreshSoon();
    this.users.publish([userId]);
  }
}
