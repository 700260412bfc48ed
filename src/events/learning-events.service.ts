import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { EventType } from './event.entity';
import { LEARNABLE_TYPES, strongestSent, typesFrom, type LearnableType } from './learning-events';

/** How long an `auto` answer below purchases is trusted before the log is asked again. */
const RECHECK_MS = 60_000;

/**
 * Which event types this process learns from (LEARN_FROM, see learning-events.ts), asked of the database at
 * most once a minute. Under `auto` a shop's answer only ever moves towards purchases (types are not taken
 * back, erasure aside), so purchases once found are kept for good, and an ingested event stronger than the
 * answer has it asked again at once.
 */
@Injectable()
export class LearningEvents {
  private resolved:
    { types: EventType[]; at: number; final: boolean; strongest: LearnableType | undefined } | undefined;
  private pending: Promise<EventType[]> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The types counted as "bought" now. */
  async types(): Promise<EventType[]> {
    const r = this.resolved;
    if (r && (r.final || Date.now() - r.at < RECHECK_MS)) return r.types;
    if (this.config.learnFrom !== 'auto') {
      const strongest = this.config.learnFrom;
      this.resolved = { types: typesFrom(strongest), at: Date.now(), final: true, strongest };
      return this.resolved.types;
    }
    this.pending ??= strongestSent((sql, params) => this.db.query(sql, params))
      .then((strongest) => {
        // Purchases found are the answer for good; an empty log or a weaker type is asked again later.
        const types = typesFrom(strongest ?? 'purchase');
        this.resolved = { types, at: Date.now(), final: strongest === 'purchase', strongest };
        return types;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /**
   * Whether an ingested event of this type changes what is learned (one of the types of the last answer;
   * purchases before the first). Under `auto`, an event stronger than the type learned from (a first purchase
   * in a shop learning from views), or any learnable event when the log was empty, has the answer asked again
   * at once.
   */
  learnsFrom(type: EventType): boolean {
    const r = this.resolved;
    const rank = LEARNABLE_TYPES.indexOf(type);
    const changes =
      r !== undefined &&
      !r.final &&
      rank >= 0 &&
      (r.strongest === undefined || rank < LEARNABLE_TYPES.indexOf(r.strongest));
    if (changes) {
      this.resolved = undefined;
      return true;
    }
    return (r?.types ?? typesFrom('purchase')).includes(type);
  }
}
