import { Module } from '@nestjs/common';
import { CatalogChanges } from './catalog-changes';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { ItemsRepository } from './items.repository';

@Module({
  controllers: [CatalogController],
  providers: [CatalogService, ItemsRepository, CatalogChanges],
  exports: [CatalogService, ItemsRepository, CatalogChanges],
})
export class CatalogModule {}
