import { Global, Module } from '@nestjs/common';
import { PlacementsModule } from '../placements/placements.module';
import { PLACEMENT_EXPERIMENTS } from '../placements/placement-experiments.port';
import { ExperimentResultsRepository } from './experiment-results.repository';
import { ExperimentServing } from './experiment-serving.service';
import { ExperimentsController } from './experiments.controller';
import { ExperimentsRepository } from './experiments.repository';
import { ExperimentsService } from './experiments.service';

/**
 * Experiments on placements: A/B and interleaving, results, stop and promote. Global because placements
 * serve through it (the PLACEMENT_EXPERIMENTS port) without importing it, which keeps the module graph
 * acyclic: experiments depend on placements, never the other way round.
 */
@Global()
@Module({
  imports: [PlacementsModule],
  controllers: [ExperimentsController],
  providers: [
    ExperimentsRepository,
    ExperimentResultsRepository,
    ExperimentServing,
    ExperimentsService,
    { provide: PLACEMENT_EXPERIMENTS, useExisting: ExperimentServing },
  ],
  exports: [PLACEMENT_EXPERIMENTS],
})
export class ExperimentsModule {}
