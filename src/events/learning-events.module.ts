import { Module } from '@nestjs/common';
import { LearningEvents } from './learning-events.service';
import { ShopClock } from './shop-clock';

/**
 * LEARN_FROM and the shop's clock (the time of what is learned from) on their own, so the catalog, attribution and
 * signals can ask them without importing the events API.
 */
@Module({ providers: [LearningEvents, ShopClock], exports: [LearningEvents, ShopClock] })
export class LearningEventsModule {}
