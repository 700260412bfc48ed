import { Global, Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { ServedListRecorder } from './served-list.recorder';
import { ServedListsRepository } from './served-lists.repository';

/** Global: every list endpoint records what it served, and erasure reaches the recorded lists. */
@Global()
@Module({
  controllers: [AnalyticsController],
  providers: [ServedListsRepository, ServedListRecorder, AnalyticsRepository],
  exports: [ServedListsRepository, ServedListRecorder],
})
export class AttributionModule {}
