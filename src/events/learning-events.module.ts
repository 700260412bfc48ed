import { Module } from '@nestjs/common';
import { LearningEvents } from './learning-events.service';

/** LEARN_FROM on its own, so the catalog, attribution and signals can ask it without importing the events API. */
@Module({ providers: [LearningEvents], exports: [LearningEvents] })
export class LearningEventsModule {}
