/**
 * GET /metrics: Prometheus text exposition of one app's registry. Scraping is cheap — gauges are
 * counted from in-memory maps and each live worker is asked once for its resource usage.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  // No authentication yet (an auth issue will add it): room and peer counts are not secret, but until
  // then operators who expose HTTP_HOST beyond loopback should keep /metrics behind their firewall or proxy.
  // Scrapes come every few seconds forever: their request logs would drown everything else at info.
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
