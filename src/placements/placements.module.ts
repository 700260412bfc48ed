import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { EventsModule } from '../events/events.module';
import { RecommendationsModule } from '../recommendations/recommendations.module';
import { TrainingModule } from '../training/training.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { ItemFieldsSnapshot } from './item-fields.snapshot';
import { PinnedEngines } from './pinned-engines';
import { PlacementServingService } from './placement-serving.service';
import { PlacementsAdminController } from './placements-admin.controller';
import { PlacementsController } from './placements.controller';
import { PlacementsRepository } from './placements.repository';
import { PlacementsService } from './placements.service';

/** Placements (named list configurations with merchandising rules): admin, revisions, serving, preview. */
@Module({
  imports: [
    CatalogModule,
    EmbeddingsModule,
    EventsModule,
    RecommendationsModule,
    TrainingModule,
    VectorIndexModule,
  ],
  controllers: [PlacementsAdminController, PlacementsController],
  providers: [
    PlacementsRepository,
    PlacementsService,
    PlacementServingService,
    ItemFieldsSnapshot,
    PinnedEngines,
  ],
  exports: [PlacementsService, PlacementServingService, PinnedEngines],
})
export class PlacementsModule {}
