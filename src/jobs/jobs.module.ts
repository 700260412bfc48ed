import { Global, Module } from '@nestjs/common';
import { JobProcesses } from './job-process';
import { JobsRepository } from './jobs.repository';
import { JobsService } from './jobs.service';

@Global()
@Module({
  providers: [JobsRepository, JobsService, JobProcesses],
  exports: [JobsService, JobsRepository, JobProcesses],
})
export class JobsModule {}
