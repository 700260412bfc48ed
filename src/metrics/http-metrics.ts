import type { FastifyInstance } from 'fastify';
import type { MetricsService } from './metrics.service';

/**
 * Times every request, including 404s and requests refused before a handler, and labels it by route pattern
 * (not raw path) to keep label cardinality bounded. A Fastify hook rather than Nest middleware: it sees the
 * matched route and Fastify's own timing, and costs no middleware layer.
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
