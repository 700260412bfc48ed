import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { VectorIndexModule } from '../vector-index/vector-index.module';
import { SessionThread } from './session-thread.service';

@Module({
  imports: [CatalogModule, VectorIndexModule],
  providers: [SessionThread],
  exports: [SessionThread],
})
export class SessionThreadModule {}
