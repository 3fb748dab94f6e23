/**
 * Assembles the Fastify control plane: health endpoint, the join page and (with the rooms layer) the
 * WebSocket signalling endpoint. Kept free of process concerns (signals, exit codes) so tests can build
 * an app on an ephemeral port.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { WorkerPool } from './media/worker-pool';
import { registerHealthRoutes } from './edge/health-routes';
import { registerPageRoutes } from './edge/page-routes';
import { registerWsEndpoint } from './edge/ws-endpoint';
import { InMemoryRoomDirectory, type RoomDirectory } from './rooms/room-directory';
import { Room } from './rooms/room';
import { RoomMedia, routerRtpCapabilities } from './media/room-media';

export interface AppDeps {
  config: Config;
  log: Logger;
  pool: WorkerPool;
}

export interface ConferoApp {
  app: FastifyInstance;
  directory: RoomDirectory;
}

export async function buildApp({ config, log, pool }: AppDeps): Promise<ConferoApp> {
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, bodyLimit: 64 * 1024 });
  const roomLog = log.child({ layer: 'rooms' });
  const directory = new InMemoryRoomDirectory(
    async (name) => new Room(name, await RoomMedia.create(pool, config.media), config.rooms, roomLog),
  );
  registerHealthRoutes(app, { pool, expectedWorkers: config.media.numWorkers });
  await registerPageRoutes(app);
  await registerWsEndpoint(app, {
    directory,
    limits: config.rooms,
    iceServers: () => [],
    routerRtpCapabilities: () => routerRtpCapabilities(pool),
    log: roomLog,
  });
  // Peers hear `roomClosed` before the sockets go down on shutdown.
  app.addHook('onClose', async () => directory.closeAll('shutdown'));
  return { app, directory };
}
