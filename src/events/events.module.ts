import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { LearningEventsModule } from './learning-events.module';
import { UserChanges } from './user-changes';

@Module({
  imports: [CatalogModule, LearningEventsModule],
  controllers: [EventsController],
  providers: [EventsService, EventsRepository, UserChanges],
  exports: [EventsService, EventsRepository, UserChanges, LearningEventsModule],
})
export class EventsModule {}
