import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { CopurchaseModule } from '../copurchase/copurchase.module';
import { EventsModule } from '../events/events.module';
import { ServingModelModule } from '../serving-model/serving-model.module';
import { PurchaseSignalsService } from './purchase-signals.service';
import { ProfileService } from './profile.service';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { RecommendationsController } from './recommendations.controller';
import { RecommendationsService } from './recommendations.service';
import { RecommendationCache } from './recommendation-cache';
import { RecommendationWarmer } from './recommendation-warmer';
import { ListWarmers } from './list-warmers';
import { SessionThreadModule } from '../session-thread/session-thread.module';

@Module({
  imports: [
    CatalogModule,
    EventsModule,
    EmbeddingsModule,
    VectorIndexModule,
    CopurchaseModule,
    ServingModelModule,
    SessionThreadModule,
  ],
  controllers: [RecommendationsController],
  providers: [
    RecommendationsService,
    ProfileService,
    PurchaseSignalsService,
    RecommendationCache,
    RecommendationWarmer,
    ListWarmers,
  ],
  exports: [
    RecommendationsService,
    ProfileService,
    PurchaseSignalsService,
    RecommendationWarmer,
    ListWarmers,
  ],
})
export class RecommendationsModule {}
