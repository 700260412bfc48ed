import { Global, Module } from '@nestjs/common';
import { ServedListRecorder } from './served-list.recorder';
import { ServedListsRepository } from './served-lists.repository';

/** Global: every list endpoint records what it served, and erasure reaches the recorded lists. */
@Global()
@Module({
  providers: [ServedListsRepository, ServedListRecorder],
  exports: [ServedListsRepository, ServedListRecorder],
})
export class AttributionModule {}
