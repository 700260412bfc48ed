import { Global, Module } from '@nestjs/common';
import { JobsRepository } from './jobs.repository';
import { JobsService } from './jobs.service';

@Global()
@Module({
  providers: [JobsRepository, JobsService],
  exports: [JobsService, JobsRepository],
})
export class JobsModule {}
