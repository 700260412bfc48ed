import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { UserChanges } from './user-changes';

@Module({
  imports: [CatalogModule],
  controllers: [EventsController],
  providers: [EventsService, EventsRepository, UserChanges],
  exports: [EventsService, EventsRepository, UserChanges],
})
export class EventsModule {}
