/** A real Confero server (real workers, real Fastify, real /ws) on an ephemeral loopback port. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app';
import { WorkerPool } from '../../src/media/worker-pool';
import type { RoomDirectory } from '../../src/rooms/room-directory';
import type { Config } from '../../src/config';
import { silentLog, testConfig } from './media';

export interface TestServer {
  config: Config;
  pool: WorkerPool;
  app: FastifyInstance;
  directory: RoomDirectory;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, portOffset = 0, httpPort = 0): Promise<TestServer> {
  const config = testConfig({ ALLOW_PLAIN_TRANSPORTS: 'true', EMPTY_ROOM_GRACE_MS: '200', ...env }, portOffset);
  const pool = await WorkerPool.create(config.media, silentLog);
  const { app, directory } = await buildApp({ config, log: silentLog, pool });
  const base = await app.listen({ host: '127.0.0.1', port: httpPort });
  return {
    config,
    pool,
    app,
    directory,
    baseUrl: base,
    wsUrl: `${base.replace('http', 'ws')}/ws`,
    async close() {
      await app.close();
      await pool.close();
    },
  };
}
