import { Module } from '@nestjs/common';
import { EmbeddingsRepository } from './embeddings.repository';
import { EmbeddingsService } from './embeddings.service';
import { EncoderProvider } from './encoder.provider';

@Module({
  providers: [EncoderProvider, EmbeddingsRepository, EmbeddingsService],
  exports: [EncoderProvider, EmbeddingsService, EmbeddingsRepository],
})
export class EmbeddingsModule {}
