/**
 * The project's own coturn launcher (server/src/turn/coturn.ts) started for tests — the same config
 * `npm run turn` writes — on loopback or inside a test host's network namespace, plus coturn's own
 * client `turnutils_uclient` to check credentials with a TURN client nobody here wrote.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { loadConfig, type Config } from '../server/src/config';
import { planCoturn, startCoturn, type CoturnPlan, type RunningCoturn } from '../server/src/turn/coturn';
import { readHostNetwork } from '../server/src/media/listen-addresses';
import { freePortBlock } from './ports';
import { until } from './until';

export const TEST_TURN_SECRET = 'test-turn-secret-0123456789abcdef';

export interface TurnPorts {
  port: number;
  tlsPort: number;
  minPort: number;
  maxPort: number;
}

/**
 * Free TURN ports (coturn cannot choose its own): the listener and TLS pair, and a relay range of 50,
 * found free on loopback just before coturn starts (ports.ts names the small race this leaves).
 */
export async function freeTurnPorts(): Promise<TurnPorts> {
  const port = await freePortBlock(2);
  const minPort = await freePortBlock(50);
  return { port, tlsPort: port + 1, minPort, maxPort: minPort + 49 };
}

export interface TestCoturn {
  config: Config;
  plan: CoturnPlan;
  coturn: RunningCoturn;
  /** `host:port` of the plain TURN listener. */
  address: string;
  stop(): Promise<void>;
}

/**
 * `env` is the Confero environment (TURN_SECRET, TURN_LISTEN_IP, RTC_LISTEN_IP, TURN_TLS_CERT…);
 * `sfuAddresses` the SFU addresses coturn may relay to; `prefix` e.g. ['ip','netns','exec',NS].
 */
export async function startTestCoturn(env: Record<string, string>, sfuAddresses: string[], prefix: string[] = []): Promise<TestCoturn> {
  const ports = await freeTurnPorts();
  const config = loadConfig({
    RTC_LISTEN_IP: '127.0.0.1',
    TURN_SECRET: TEST_TURN_SECRET,
    TURN_PORT: String(ports.port),
    TURN_TLS_PORT: String(ports.tlsPort),
    TURN_MIN_PORT: String(ports.minPort),
    TURN_MAX_PORT: String(ports.maxPort),
    ...env,
  });
  const plan = planCoturn(config, sfuAddresses, readHostNetwork());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-coturn-'));
  const coturn = await startCoturn(config, plan, dir, { prefix, verbose: true });
  return {
    config,
    plan,
    coturn,
    address: `${plan.listenIp ?? plan.relayIp}:${config.turn.port}`,
    async stop() {
      await coturn.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface UclientResult {
  status: number | null;
  output: string;
  /** Messages that came back through the relays (uclient's own count). */
  received: number;
}

/**
 * turnutils_uclient with a given username/password (the credentials Confero issued): client-to-client
 * mode (-y) allocates two relays and sends 5 messages each way between them through coturn (unless
 * `extra` names a peer with -e); -c skips the RTCP port pair. Asynchronous on purpose: coturn's log is read from a pipe by this same process meanwhile.
 */
export function uclient(host: string, port: number, username: string, password: string, extra: string[] = []): Promise<UclientResult> {
  // With a peer address (-e) it talks to that peer instead of to its own second relay.
  const pair = extra.includes('-e') ? [] : ['-y'];
  const args = [...pair, '-c', '-u', username, '-w', password, '-n', '5', '-m', '1', '-l', '200', '-p', String(port), ...extra, host];
  return new Promise((resolve) => {
    const child = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('close', (status) => {
      clearTimeout(timer);
      const counts = [...output.matchAll(/tot_recv_msgs=(\d+)/g)].map((m) => Number(m[1]));
      resolve({ status, output, received: counts.length > 0 ? Math.max(...counts) : 0 });
    });
  });
}

/** coturn logs asynchronously from its own threads: wait (bounded) until its log matches. */
export async function waitForLog(coturn: TestCoturn, pattern: string | RegExp, timeoutMs = 5000): Promise<string> {
  const matches = (): boolean => (typeof pattern === 'string' ? coturn.coturn.output().includes(pattern) : pattern.test(coturn.coturn.output()));
  // A log that never matches is the caller's to judge (it asserts on what is returned), not an error here.
  await until(matches, { timeoutMs }).catch(() => undefined);
  return coturn.coturn.output();
}
