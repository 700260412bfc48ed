import { Global, Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsRollups } from './analytics-rollups';
import { ServedListRecorder } from './served-list.recorder';
import { ServedListsRepository } from './served-lists.repository';

/**
 * Global: every list endpoint records what it served, and erasure reaches the recorded lists and the
 * analytics rollups.
 */
@Global()
@Module({
  controllers: [AnalyticsController],
  providers: [ServedListsRepository, ServedListRecorder, AnalyticsRepository, AnalyticsRollups],
  exports: [ServedListsRepository, ServedListRecorder, AnalyticsRepository, AnalyticsRollups],
})
export class AttributionModule {}
