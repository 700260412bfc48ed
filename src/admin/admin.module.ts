import { SessionThreadModule } from '../session-thread/session-thread.module';
import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { CopurchaseModule } from '../copurchase/copurchase.module';
import { EventsModule } from '../events/events.module';
import { TrainingModule } from '../training/training.module';
import { RecommendationsModule } from '../recommendations/recommendations.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { AdminController } from './admin.controller';
import { JobsController } from './jobs.controller';
import { StatsService } from './stats.service';

@Module({
  imports: [
    CatalogModule,
    EventsModule,
    VectorIndexModule,
    TrainingModule,
    CopurchaseModule,
    RecommendationsModule,
    SessionThreadModule,
  ],
  controllers: [AdminController, JobsController],
  providers: [StatsService],
  exports: [StatsService],
})
export class AdminModule {}
