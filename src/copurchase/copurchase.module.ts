import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EventsModule } from '../events/events.module';
import { CopurchaseJob } from './copurchase.job';
import { CopurchaseRepository } from './copurchase.repository';
import { ItemKnnBuilder } from './item-knn.builder';

@Module({
  imports: [CatalogModule, EventsModule],
  providers: [CopurchaseRepository, CopurchaseJob, ItemKnnBuilder],
  exports: [CopurchaseRepository, CopurchaseJob],
})
export class CopurchaseModule {}
