import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { ReadinessIndicators } from './readiness';
import { SchemaCheck } from './schema-check';

@Global()
@Module({
  // A failed probe is answered 503 and logged at debug by ProblemFilter; Terminus would log it as an error.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ReadinessIndicators, SchemaCheck],
  exports: [ReadinessIndicators],
})
export class HealthModule {}
