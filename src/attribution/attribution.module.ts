import { Global, Module } from '@nestjs/common';
import { LearningEventsModule } from '../events/learning-events.module';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsRollups } from './analytics-rollups';
import { ExposureRepository } from './exposure.repository';
import { NewArrivalExposure } from './new-arrival-exposure';
import { ServedListRecorder } from './served-list.recorder';
import { ServedListsRepository } from './served-lists.repository';

/**
 * Global: every list endpoint records what it served, erasure reaches the recorded lists and the analytics
 * rollups, and the ranking's new-arrival rule reads what was shown and clicked.
 */
@Global()
@Module({
  imports: [LearningEventsModule],
  controllers: [AnalyticsController],
  providers: [
    ServedListsRepository,
    ServedListRecorder,
    AnalyticsRepository,
    AnalyticsRollups,
    ExposureRepository,
    NewArrivalExposure,
  ],
  exports: [
    ServedListsRepository,
    ServedListRecorder,
    AnalyticsRepository,
    AnalyticsRollups,
    NewArrivalExposure,
  ],
})
export class AttributionModule {}
