import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EventsModule } from '../events/events.module';
import { ImportService } from './import.service';

@Module({
  imports: [CatalogModule, EventsModule],
  providers: [ImportService],
  exports: [ImportService],
})
export class ImportModule {}
