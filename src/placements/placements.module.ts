import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { RecommendationsModule } from '../recommendations/recommendations.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { ItemFieldsSnapshot } from './item-fields.snapshot';
import { PlacementServingService } from './placement-serving.service';
import { PlacementsAdminController } from './placements-admin.controller';
import { PlacementsController } from './placements.controller';
import { PlacementsRepository } from './placements.repository';
import { PlacementsService } from './placements.service';

/** Placements (named list configurations with merchandising rules): admin, revisions, serving, preview. */
@Module({
  imports: [CatalogModule, RecommendationsModule, VectorIndexModule],
  controllers: [PlacementsAdminController, PlacementsController],
  providers: [PlacementsRepository, PlacementsService, PlacementServingService, ItemFieldsSnapshot],
  exports: [PlacementsService, PlacementServingService],
})
export class PlacementsModule {}
