import { Injectable } from '@nestjs/common';
import type { BuyerWeighting } from '../ranking/item-knn';
import type { GateInput, GateResult, GateSignals } from './blend-gate';
import type { Interaction } from './model/training-pairs';
import type { TrainingData, TrainOptions, TrainProgress, TrainResult } from './model/trainer';
import { gateSignalsInWorker, trainInWorker, tuneInWorker, type BackgroundRun } from './training-workers';

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

  /** What the purchases before the validation window teach, built once for every model's gate. */
  gateSignals(history: Interaction[], at: Date, buyers: BuyerWeighting): BackgroundRun<GateSignals> {
    return gateSignalsInWorker(history, at, buyers);
  }
}
