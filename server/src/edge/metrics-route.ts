/**
 * GET /metrics: Prometheus text exposition of one app's registry. Scraping is cheap — gauges are
 * counted from in-memory maps and each live worker is asked once for its resource usage.
 *
 * With METRICS_TOKEN set, a scrape needs `Authorization: Bearer <token>` (Prometheus: `authorization:
 * {credentials: …}` in the scrape config); room and peer counts and worker load are not for everyone.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function registerMetricsRoute(app: FastifyInstance, registry: Registry, token: string | undefined): void {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  // Scrapes come every few seconds forever: their request logs would drown everything else at info.
  app.get('/metrics', { logLevel: 'warn' }, async (request, reply) => {
    if (expected && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send({ error: { code: 'unauthorized', message: '/metrics needs Authorization: Bearer <METRICS_TOKEN>' } });
    }
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}

/** Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first wrong byte. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
