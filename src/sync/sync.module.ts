import { Global, Module } from '@nestjs/common';
import { ChangeFeed } from './change-feed';

/** The change feed, global: every holder of in-memory state subscribes to it. */
@Global()
@Module({
  providers: [ChangeFeed],
  exports: [ChangeFeed],
})
export class SyncModule {}
