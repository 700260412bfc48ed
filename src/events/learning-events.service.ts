import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { EventType } from './event.entity';
import { autoLearnedType, LEARNABLE_TYPES, typesFrom, type LearnableType } from './learning-events';

/** How long an `auto` answer is trusted before the log is asked again. */
const RECHECK_MS = 60_000;

/**
 * Which event types this process learns from (LEARN_FROM, see learning-events.ts), asked of the database at
 * most once a minute. Under `auto` the answer follows what the shop sends (LEARN_FROM_MIN_SHARE): it may move
 * either way as the log grows, so it is asked again every minute, and at once when the log was empty and a
 * first learnable event arrives.
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
    const minShare = this.config.learnFromMinShare;
    this.pending ??= autoLearnedType((sql, params) => this.db.query(sql, params), minShare)
      .then((strongest) => {
        const types = typesFrom(strongest ?? 'purchase');
        // Without a share to weigh, purchases once found are the answer for good (types are not taken back,
        // erasure aside); with one, any answer is asked again later.
        this.resolved = {
          types,
          at: Date.now(),
          final: minShare <= 0 && strongest === 'purchase',
          strongest,
        };
        return types;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /**
   * Whether an ingested event of this type changes what is learned (one of the types of the last answer;
   * purchases before the first). Under `auto`, any learnable event when the log was empty, or (with
   * LEARN_FROM_MIN_SHARE 0) one stronger than the type learned from, has the answer asked again at once.
   */
  learnsFrom(type: EventType): boolean {
    const r = this.resolved;
    const rank = LEARNABLE_TYPES.indexOf(type);
    const changes =
      r !== undefined &&
      !r.final &&
      rank >= 0 &&
      (r.strongest === undefined ||
        (this.config.learnFromMinShare <= 0 && rank < LEARNABLE_TYPES.indexOf(r.strongest)));
    if (changes) {
      this.resolved = undefined;
      return true;
    }
    return (r?.types ?? typesFrom('purchase')).includes(type);
  }
}
