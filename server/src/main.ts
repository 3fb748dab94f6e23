/**
 * Process entry: read the config (bad value → one line, exit 2), start the worker pool and the HTTP
 * server, and shut both down cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';
import { WorkerPool } from './media/worker-pool';
import { buildApp } from './app';

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

async function main(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.logLevel);
  const pool = await WorkerPool.create(config.media, log.child({ layer: 'media' }));
  const { app } = await buildApp({ config, log, pool });
  await app.listen({ host: config.http.host, port: config.http.port });
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  const port = (app.server.address() as { port: number }).port;
  log.info(`Confero is up: open http://${host}:${port}/`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    await pool.close();
    process.exit(0);
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}

main().catch((error: unknown) => {
  process.stderr.write(`confero: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
