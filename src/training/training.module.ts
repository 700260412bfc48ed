import { Module } from '@nestjs/common';
import { CopurchaseModule } from '../copurchase/copurchase.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { ServingModelModule } from '../serving-model/serving-model.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { ModelVersionsRepository } from './model-versions.repository';
import { ModelsController } from './models.controller';
import { TrainingService } from './training.service';

@Module({
  imports: [EmbeddingsModule, VectorIndexModule, ServingModelModule, CopurchaseModule],
  controllers: [ModelsController],
  providers: [TrainingService, ModelVersionsRepository],
  exports: [TrainingService, ModelVersionsRepository],
})
export class TrainingModule {}
