/**
 * A real Confero server (real workers, real Fastify, real /ws) on loopback, on ports chosen as they are
 * bound: HTTP port 0, and media ports mediasoup picks (RTC_BASE_PORT=0, see ports.ts).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/src/app';
import { WorkerPool } from '../server/src/media/worker-pool';
import type { RoomDirectory } from '../server/src/rooms/room-directory';
import type { Config } from '../server/src/config';
import { silentLog, testConfig } from './config';

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

export interface TestServerOptions {
  /** HTTP port; default 0 (the OS chooses). A test that restarts a server on the same URL passes the first one's. */
  httpPort?: number;
}

export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const config = testConfig({ ALLOW_PLAIN_TRANSPORTS: 'true', EMPTY_ROOM_GRACE_MS: '200', ...env });
  const pool = await WorkerPool.create(config.media, silentLog);
  const { app, directory } = await buildApp({ config, log: silentLog, pool });
  const base = await app.listen({ host: '127.0.0.1', port: options.httpPort ?? 0 });
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
