/**
 * `npm run turn`: starts coturn configured from the same environment as the SFU (see coturn.ts), in a
 * private directory under the cache, and stays in the foreground with coturn's log on stdout until
 * Ctrl-C or SIGTERM, which it passes on.
 */
import path from 'node:path';
import { cacheDir, ConfigError, loadConfig, type Config } from '../config';
import { readHostNetwork } from '../media/listen-addresses';
import { planCoturn, sfuAddresses, startCoturn } from './coturn';

function fail(message: string, code: number): never {
  process.stderr.write(`confero turn: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  if (!config.ice.turnSecret) fail("set TURN_SECRET (coturn's static-auth-secret, the same value the SFU gets)", 2);
  const plan = planCoturn(config, await sfuAddresses(config), readHostNetwork());
  const dir = path.join(cacheDir(), 'turn', String(config.turn.port));
  const coturn = await startCoturn(config, plan, dir, { echo: process.stdout });
  const where = plan.listenIp ?? 'all addresses';
  process.stdout.write(
    `confero turn: coturn listening on ${where} port ${config.turn.port} (udp+tcp)` +
      `${plan.tls ? `, TLS on ${config.turn.tlsPort}` : ''}; relaying from ${plan.relayIp} ports ${config.turn.minPort}–${config.turn.maxPort}` +
      `; private peers allowed: ${plan.allowedPeers.join(', ') || 'none'}; config in ${coturn.configFile}\n`,
  );
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    void coturn.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  coturn.process.once('exit', (code) => {
    if (!stopping) fail(`coturn exited (code ${code})`, 1);
  });
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
