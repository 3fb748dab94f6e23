/**
 * Process entry: read the config (bad value → one line, exit 2), start the worker pool and the HTTP
 * server, and shut both down cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';
import { WorkerPool } from './media/worker-pool';
import { buildApp } from './app';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { RoomDirectory } from './rooms/room-directory';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`confero: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** What browsers will be told about STUN/TURN (never the secret). */
function logIceServers(config: Config, log: Logger): void {
  const { stunUrls, turnUrls, credentialTtlSeconds } = config.ice;
  if (turnUrls.length === 0 && stunUrls.length === 0) {
    log.info('no STUN/TURN configured: browsers connect to the announced addresses directly (set TURN_URLS for networks that block that)');
    return;
  }
  log.info({ stun: stunUrls, turn: turnUrls, credentialTtlSeconds }, 'browsers get these ICE servers (TURN with time-limited credentials)');
}

async function main(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.logLevel);
  // Our signal handlers are installed before any worker exists: mediasoup adds its own per worker (each
  // closes its worker), and listeners run in the order they were added, so ours must come first to close
  // the rooms with `shutdown` (peers are told so) before the workers go.
  let running: { app: FastifyInstance; directory: RoomDirectory; pool: WorkerPool } | undefined;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    if (!running) process.exit(0);
    const { app, directory, pool } = running;
    directory.closeAll('shutdown'); // synchronously, before mediasoup's handlers close the workers
    void app
      .close()
      .then(() => pool.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const pool = await WorkerPool.create(config.media, log.child({ layer: 'media' }));
  const { app, scheme, directory } = await buildApp({ config, log, pool });
  running = { app, directory, pool };
  await app.listen({ host: config.http.host, port: config.http.port });
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const port = (app.server.address() as { port: number }).port;
  log.info(`Confero is up: open ${scheme}://${host}:${port}/`);
  logIceServers(config, log);
}

main().catch((error: unknown) => {
  process.stderr.write(`confero: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
