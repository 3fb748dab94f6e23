/**
 * HTTP-side protection, registered before any route so that every route (and the not-found handler that
 * serves the page's deep links) gets it:
 *
 * - a per-address request rate (HTTP_RATE_PER_MINUTE) answered 429 with a JSON error and Retry-After.
 *   Monitoring (/healthz, /readyz, /metrics) is exempt so a scraper is never throttled, and the /ws
 *   upgrade is governed by the WebSocket limits instead;
 * - security headers (helmet) with a Content-Security-Policy the join page works under: everything from
 *   this origin only, no inline script or style, no framing. HSTS only when serving HTTPS.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import helmet from '@fastify/helmet';
import { clientKey, type LimitMetrics } from './ws-limits';

/** Paths the HTTP rate limit leaves alone. */
export const HTTP_RATE_EXEMPT = new Set(['/healthz', '/readyz', '/metrics', '/ws']);

/**
 * The page's policy. connect-src 'self' covers the signalling socket too: in CSP Level 3 (every current
 * browser) 'self' matches ws: and wss: to the page's own host, and the page only ever dials its own
 * /ws — a bare `ws: wss:` would let injected script talk to any host. Media elements play MediaStreams
 * through srcObject, which CSP does not govern; blob:/data: stay allowed for images and media.
 */
export function contentSecurityPolicy(https: boolean): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'blob:', 'data:'],
    'media-src': ["'self'", 'blob:', 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    ...(https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

export interface HttpProtectionOptions {
  ratePerMinute: number;
  https: boolean;
  metrics: LimitMetrics;
}

export async function registerHttpProtection(app: FastifyInstance, options: HttpProtectionOptions): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(options.https) },
    frameguard: { action: 'deny' },
    // Only over HTTPS: on plain HTTP a browser ignores it, and on a LAN name it would be a trap later.
    strictTransportSecurity: options.https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
  });
  await app.register(rateLimit, {
    // Not per route: the root onRequest hook below also covers the not-found handler.
    global: false,
    max: options.ratePerMinute,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => clientKey(request.ip),
    allowList: (request: FastifyRequest) => HTTP_RATE_EXEMPT.has(request.url.split('?')[0] ?? ''),
    onExceeded: () => options.metrics.countRateLimited('http'),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`too many requests from your address: at most ${context.max} a minute; retry in ${context.after}`), {
        statusCode: context.statusCode,
        code: 'rate_limited',
      }),
  });
  app.addHook('onRequest', app.rateLimit());
}
