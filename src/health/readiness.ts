import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

export type ReadinessCheck = () => Promise<HealthIndicatorResult> | HealthIndicatorResult;

/** Other modules (the vector index) register what "ready" needs from them, without health depending on them. */
@Injectable()
export class ReadinessIndicators {
  private readonly registered: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    this.registered.push(check);
  }

  checks(): ReadinessCheck[] {
    return [...this.registered];
  }
}
