import { Global, Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EventsModule } from '../events/events.module';
import { AdminController } from './admin.controller';
import { StatsService } from './stats.service';

@Global()
@Module({
  imports: [CatalogModule, EventsModule],
  controllers: [AdminController],
  providers: [StatsService],
  exports: [StatsService],
})
export class AdminModule {}
