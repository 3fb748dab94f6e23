/**
 * coturn, configured from Confero's own settings: the same shared secret that mints the browsers'
 * credentials, UDP+TCP on TURN_PORT, TLS on TURN_TLS_PORT when a certificate is given, a relay port range,
 * and the hardening a TURN server on the internet needs — it must not become a proxy into the operator's
 * network: relaying to loopback, private and multicast addresses is refused, except to the SFU itself.
 *
 * Hermetic: everything (config, pid file, user db) lives in one private directory, and coturn is started
 * with `-c` on our file, so /etc/turnserver.conf, /var/run and /var/lib/turn are never read or written.
 * The secret is in that file (mode 0600), never on the command line where `ps` would show it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config';
import { isWildcard, primaryAddress, type HostNetwork } from '../media/listen-addresses';

/** Ranges a public TURN server must not relay to (RFC 1918, loopback, link-local, CGNAT, ULA, …). */
const DENIED_PEER_RANGES = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.0.0.0-192.0.0.255',
  '192.168.0.0-192.168.255.255',
  '198.18.0.0-198.19.255.255',
  '240.0.0.0-255.255.255.255',
  '::1',
  '::ffff:0.0.0.0-::ffff:255.255.255.255',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

export interface CoturnPlan {
  /** Address coturn listens on; undefined = all. */
  listenIp: string | undefined;
  relayIp: string;
  /** The SFU addresses coturn may relay to although they are in a denied range. */
  allowedPeers: string[];
  tls: boolean;
}

/**
 * Where coturn listens and relays, and which peers it may reach. `sfuAddresses` are the SFU's own
 * addresses (its announced and listen addresses, resolved to IPs).
 */
export function planCoturn(config: Config, sfuAddresses: string[], network: HostNetwork): CoturnPlan {
  const listen = config.turn.listenIp;
  const relayIp = isWildcard(listen) ? primaryAddress(network, 4) : listen;
  if (!relayIp) throw new Error(`TURN_LISTEN_IP=${listen} but this host has no non-loopback IPv4 address to relay from: set TURN_LISTEN_IP`);
  const allowedPeers = [...new Set(sfuAddresses.filter((a) => net.isIP(a) !== 0 && !isWildcard(a)))];
  return { listenIp: isWildcard(listen) ? undefined : listen, relayIp, allowedPeers, tls: config.turn.tls !== undefined };
}

/** The contents of coturn's config file. Contains the secret: write it with mode 0600. */
export function coturnConfigText(config: Config, plan: CoturnPlan, dir: string, options: { verbose?: boolean } = {}): string {
  const { turn } = config;
  const secret = config.ice.turnSecret;
  if (!secret) throw new Error('TURN_SECRET is not set: coturn needs the secret Confero signs TURN credentials with');
  const lines = [
    `realm=${turn.realm}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    ...(plan.listenIp ? [`listening-ip=${plan.listenIp}`] : []),
    `relay-ip=${plan.relayIp}`,
    // Behind NAT the announced (public) address maps to our relay address: coturn puts it in relay candidates.
    ...externalIp(config, plan),
    `listening-port=${turn.port}`,
    `min-port=${turn.minPort}`,
    `max-port=${turn.maxPort}`,
    ...(turn.tls ? [`tls-listening-port=${turn.tlsPort}`, `cert=${turn.tls.cert}`, `pkey=${turn.tls.key}`, 'no-dtls'] : ['no-tls', 'no-dtls']),
    'fingerprint',
    'no-cli',
    'no-multicast-peers',
    'no-software-attribute',
    'stale-nonce=600',
    'user-quota=16',
    ...DENIED_PEER_RANGES.map((range) => `denied-peer-ip=${range}`),
    ...plan.allowedPeers.map((peer) => `allowed-peer-ip=${peer}`),
    // coturn refuses loopback peers outright unless told; only the SFU's own loopback address is then
    // allowed, the rest of 127/8 and ::1 stay in the denied ranges above.
    ...(plan.allowedPeers.some(isLoopback) ? ['allow-loopback-peers'] : []),
    `pidfile=${path.join(dir, 'turnserver.pid')}`,
    `userdb=${path.join(dir, 'turndb')}`,
    'log-file=stdout',
    'simple-log',
    ...(options.verbose ? ['verbose'] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function externalIp(config: Config, plan: CoturnPlan): string[] {
  const announced = config.media.announcedAddress;
  if (!announced || net.isIP(announced) === 0 || announced === plan.relayIp) return [];
  return [`external-ip=${announced}/${plan.relayIp}`];
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/** The SFU's own addresses (announced and bound), as IPs: the only private/loopback peers coturn may relay to. */
export async function sfuAddresses(config: Config): Promise<string[]> {
  const names = config.media.listen.flatMap((entry) => [entry.ip, entry.announcedAddress ?? entry.ip]);
  const resolved = await Promise.all(names.map(async (name) => (net.isIP(name) ? [name] : (await dns.lookup(name, { all: true })).map((r) => r.address))));
  return [...new Set(resolved.flat())];
}

export interface RunningCoturn {
  process: ChildProcess;
  configFile: string;
  /** coturn's output so far (its log). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Writes the config into `dir` and starts `turnserver` on it; `prefix` runs it through another command
 * (tests: `ip netns exec NS`); `echo` also gets its log (npm run turn: stdout). Resolves once it listens.
 */
export async function startCoturn(
  config: Config,
  plan: CoturnPlan,
  dir: string,
  options: { prefix?: string[]; verbose?: boolean; echo?: NodeJS.WritableStream } = {},
): Promise<RunningCoturn> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const configFile = path.join(dir, 'turnserver.conf');
  fs.writeFileSync(configFile, coturnConfigText(config, plan, dir, options), { mode: 0o600 });
  // stdbuf: coturn block-buffers its log when it is a pipe, and we read the log while it runs.
  const argv = [...(options.prefix ?? []), 'stdbuf', '-oL', '-eL', 'turnserver', '-c', configFile];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const collect = (chunk: Buffer): void => {
    log += chunk.toString();
    options.echo?.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running: RunningCoturn = {
    process: child,
    configFile,
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, delay(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  // Ready when *this* coturn has set up its servers (its log says so even without `verbose`) and the
  // TURN port accepts connections.
  const host = plan.listenIp ?? '127.0.0.1';
  const tail = (): string => log.trim().split('\n').slice(-5).join(' | ');
  for (let waited = 0; !(/Total General servers: \d+/.test(log) && (await acceptsTcp(host, config.turn.port))); waited += 100) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`coturn exited (${child.exitCode ?? child.signalCode}): ${tail()}`);
    if (waited > 15_000) {
      await running.stop();
      throw new Error(`coturn did not listen on ${host}:${config.turn.port} within 15 s: ${tail()}`);
    }
    await delay(100);
  }
  return running;
}

function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
