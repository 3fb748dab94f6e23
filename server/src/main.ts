/**
 * Process entry: read the config (bad value → one line, exit 2), start the worker pool and the HTTP
 * server, and shut both down cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';
import { WorkerPool } from './media/worker-pool';
import { hostPort } from './media/listen-addresses';
import { buildApp } from './app';
import { isLoopback } from './config-values';
import type { Logger } from 'pino';

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

/** Open mode is a choice the operator must see: a warning when others can reach the server. */
function logAccess(config: Config, log: Logger): void {
  const { keys, open } = config.auth;
  if (!open) {
    log.info({ apiKeys: [...keys.keys()] }, 'joins need an access token signed with one of these API keys (npm run token)');
    return;
  }
  const message = 'open mode: anyone who reaches this server joins any room; set AUTH_KEYS to require access tokens (README "Access tokens")';
  if (isLoopback(config.http.host)) log.info(message);
  else log.warn(message);
}

/** Like open mode: an open /metrics on an address others reach is worth a warning. */
function logMetricsAccess(config: Config, log: Logger): void {
  if (config.auth.metricsToken) log.info('/metrics needs Authorization: Bearer <METRICS_TOKEN>');
  else if (!isLoopback(config.http.host))
    log.warn('/metrics is open to anyone who reaches this server; set METRICS_TOKEN to require a bearer token, or keep the path behind a proxy');
}

async function main(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.logLevel, config.logFormat);
  const pool = await WorkerPool.create(config.media, log.child({ layer: 'media' }));
  const { app, scheme } = await buildApp({ config, log, pool });
  await app.listen({ host: config.http.host, port: config.http.port });
  log.info(`Confero is up: open ${scheme}://${hostPort(config.http.host, (app.server.address() as { port: number }).port)}/`);
  logIceServers(config, log);
  logAccess(config, log);
  logMetricsAccess(config, log);

  // app.close() tells every peer `roomClosed: shutdown` (its preClose hook) before the pool closes the
  // workers; the workers themselves ignore signals to our process group (see WorkerPool).
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
