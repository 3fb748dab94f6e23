/**
 * Assembles the Fastify control plane: health and metrics endpoints, the join page and (with the rooms
 * layer) the WebSocket signalling endpoint. Kept free of process concerns (signals, exit codes) so tests
 * can build an app on an ephemeral port.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { WorkerPool } from './media/worker-pool';
import { registerHealthRoutes } from './edge/health-routes';
import { registerPageRoutes } from './edge/page-routes';
import { registerWsEndpoint } from './edge/ws-endpoint';
import { registerMetricsRoute } from './edge/metrics-route';
import { createServerMetrics, type ServerMetrics } from './metrics/server-metrics';
import { InMemoryRoomDirectory, type RoomDirectory } from './rooms/room-directory';
import { Room } from './rooms/room';
import { RoomMedia, routerRtpCapabilities } from './media/room-media';
import { iceServersFor } from './turn/credentials';
import { loadTls } from './edge/tls';
import { registerHttpProtection } from './limits/http-protection';
import { WsLimits } from './limits/ws-limits';
import { registerAdminApi } from './admin';
import { createAuthorizer } from './auth/authorizer';
import { urlWithoutTokens } from './auth/url-token';

export interface AppDeps {
  config: Config;
  log: Logger;
  pool: WorkerPool;
}

export interface ConferoApp {
  app: FastifyInstance;
  directory: RoomDirectory;
  /** 'https' when a certificate is configured: the page and /ws are served over TLS. */
  scheme: 'http' | 'https';
  /** This app's own metrics (its registry is served at /metrics). */
  metrics: ServerMetrics;
}

export async function buildApp({ config, log, pool }: AppDeps): Promise<ConferoApp> {
  const tls = await loadTls(config, log);
  // With a certificate the same app serves HTTPS and, on the same port, WSS.
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    ...(tls ? { https: tls } : {}),
    // request.ip is the socket's peer unless TRUST_PROXY names the proxy in front (X-Forwarded-For).
    trustProxy: config.limits.trustProxy.length > 0 ? config.limits.trustProxy : false,
    // Access tokens in URLs (/ws?access_token=, the page's ?token=) never reach the request log.
    rewriteUrl: urlWithoutTokens,
  }) as unknown as FastifyInstance;
  const roomLog = log.child({ layer: 'rooms' });
  const directory = new InMemoryRoomDirectory(
    async (name) => new Room(name, await RoomMedia.create(pool, config.media), config.rooms, roomLog),
    config.limits.maxRooms,
  );
  const metrics = createServerMetrics({ directory, pool });
  // Before any route, so that every route gets the rate limit and the security headers.
  await registerHttpProtection(app, { ratePerMinute: config.limits.httpRatePerMinute, https: Boolean(tls), metrics });
  registerHealthRoutes(app, { pool, expectedWorkers: config.media.numWorkers, shuttingDown: () => directory.shuttingDown });
  registerMetricsRoute(app, metrics.registry, config.auth.metricsToken);
  await registerAdminApi(app, { auth: config.auth, directory });
  await registerPageRoutes(app);
  // Peers hear `roomClosed: shutdown` before the sockets go down: this preClose hook is added before the
  // WebSocket plugin's own, which closes every socket, and hooks run in the order they were added. From
  // here on joins are refused and /readyz says 503.
  app.addHook('preClose', async () => directory.shutDown());
  await registerWsEndpoint(app, {
    directory,
    limits: config.rooms,
    iceServers: (peerId) => iceServersFor(config.ice, peerId),
    routerRtpCapabilities: () => routerRtpCapabilities(pool),
    log: roomLog,
    metrics,
    wsLimits: new WsLimits(config.limits, log.child({ layer: 'edge' }), metrics),
    authorize: createAuthorizer(config.auth),
  });
  return { app, directory, scheme: tls ? 'https' : 'http', metrics };
}
