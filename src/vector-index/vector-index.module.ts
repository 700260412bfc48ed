import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { ServingModelModule } from '../serving-model/serving-model.module';
import { IndexReconciler } from './index-reconciler';
import { IndexService } from './index.service';
import { ReindexJob } from './reindex.job';

@Module({
  imports: [CatalogModule, EmbeddingsModule, ServingModelModule],
  providers: [IndexService, ReindexJob, IndexReconciler],
  exports: [IndexService, ReindexJob, IndexReconciler],
})
export class VectorIndexModule {}
