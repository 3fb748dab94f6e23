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

export interface AppDeps {
  config: Config;
  log: Logger;
  pool: WorkerPool;
}

export async function buildApp({ config, log, pool }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, bodyLimit: 64 * 1024 });
  registerHealthRoutes(app, { pool, expectedWorkers: config.media.numWorkers });
  await registerPageRoutes(app);
  return app;
}
