import { Module } from '@nestjs/common';
import { LearningEventsModule } from '../events/learning-events.module';
import { CopurchaseModule } from '../copurchase/copurchase.module';
import { EmbeddingsModule } from '../embeddings/embeddings.module';
import { ServingModelModule } from '../serving-model/serving-model.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { FinetuneCron } from './finetune.cron';
import { FinetuneJob } from './finetune.job';
import { FinetuneService } from './finetune.service';
import { InteractionsRepository } from './interactions.repository';
import { ModelActivationService } from './model-activation.service';
import { ModelVersionsRepository } from './model-versions.repository';
import { ModelsController } from './models.controller';
import { PinnedModels } from './pinned-models.service';
import { ProjectionTrainer } from './projection-trainer';

@Module({
  imports: [EmbeddingsModule, VectorIndexModule, ServingModelModule, CopurchaseModule, LearningEventsModule],
  controllers: [ModelsController],
  providers: [
    FinetuneService,
    ModelActivationService,
    FinetuneJob,
    FinetuneCron,
    InteractionsRepository,
    ProjectionTrainer,
    ModelVersionsRepository,
    PinnedModels,
  ],
  exports: [FinetuneService, ModelActivationService, ModelVersionsRepository, PinnedModels],
})
export class TrainingModule {}
