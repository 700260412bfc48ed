import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per application instance, so tests that boot several apps do not collide. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'aisle_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly indexSize = new Gauge({
    name: 'aisle_index_items',
    help: 'Live items in the served vector index',
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'aisle_job_duration_seconds',
    help: 'Background job duration by kind and outcome',
    labelNames: ['kind', 'status'] as const,
    buckets: [0.1, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly eventsIngested = new Counter({
    name: 'aisle_events_ingested_total',
    help: 'Events stored (duplicates excluded)',
    registers: [this.registry],
  });

  readonly servedLists = new Counter({
    name: 'aisle_served_lists_total',
    help: 'Lists answered, by placement (or endpoint when no placement was named)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly clicks = new Counter({
    name: 'aisle_clicks_total',
    help: 'Clicks (view events with a recommId) stored, by the placement (or endpoint) of the list clicked',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly servedListsWritten = new Counter({
    name: 'aisle_served_lists_written_total',
    help: 'Served lists stored for attribution',
    registers: [this.registry],
  });

  readonly servedListsDropped = new Counter({
    name: 'aisle_served_lists_dropped_total',
    help: 'Served lists not stored: the write queue was full, or the batch write failed',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
