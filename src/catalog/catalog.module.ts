import { Module } from '@nestjs/common';
import { CatalogChanges } from './catalog-changes';
import { CatalogSnapshot } from './catalog-snapshot';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';
import { ItemsRepository } from './items.repository';

@Module({
  controllers: [CatalogController],
  providers: [CatalogService, ItemsRepository, CatalogChanges, CatalogSnapshot],
  exports: [CatalogService, ItemsRepository, CatalogChanges, CatalogSnapshot],
})
export class CatalogModule {}
