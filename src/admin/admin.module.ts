import { Global, Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EventsModule } from '../events/events.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { AdminController } from './admin.controller';
import { JobsController } from './jobs.controller';
import { StatsService } from './stats.service';

@Global()
@Module({
  imports: [CatalogModule, EventsModule, VectorIndexModule],
  controllers: [AdminController, JobsController],
  providers: [StatsService],
  exports: [StatsService],
})
export class AdminModule {}
