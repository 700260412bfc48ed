import { Injectable } from '@nestjs/common';
import type { GateInput, GateResult } from './blend-gate';
import type { TrainingData, TrainOptions, TrainProgress, TrainResult } from './model/trainer';
import { trainInWorker, tuneInWorker, type BackgroundRun } from './training-workers';

/** The port to the training threads: the fine-tune asks it to train a projection and to tune a blend. */
@Injectable()
export class ProjectionTrainer {
  train(
    data: TrainingData,
    options: Omit<TrainOptions, 'pca' | 'signal' | 'clock'>,
    onProgress?: (progress: TrainProgress) => void,
  ): BackgroundRun<TrainResult> {
    return trainInWorker(data, options, onProgress);
  }

  tune(input: GateInput): BackgroundRun<GateResult> {
    return tuneInWorker(input);
  }
}
