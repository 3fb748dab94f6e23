/**
 * The Confero server the TTFF section joins: server/src/main.ts in its own process (so its CPU is not
 * the bots'), on the section's ports, with the per-address abuse limits lifted — every bot joins from
 * loopback, at up to 10 joins a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface BenchServer {
  wsUrl: string;
  close(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '../../..');
const START_TIMEOUT_MS = 30_000;

export async function startBenchServer(portBase: number, log: (line: string) => void): Promise<BenchServer> {
  const httpPort = portBase;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    RTC_LISTEN_IP: '127.0.0.1',
    RTC_BASE_PORT: String(portBase + 100),
    RTC_MIN_PORT: String(portBase + 200),
    RTC_MAX_PORT: String(portBase + 999),
    MAX_PEERS_PER_ROOM: '500',
    JOINS_PER_IP_PER_MINUTE: '100000',
    MAX_WS_CONNECTIONS_PER_IP: '100000',
    HTTP_RATE_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
  };
  // Open mode on loopback: the bots carry no tokens.
  delete env.AUTH_KEYS;
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'server/src/main.ts')], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) log(`server: ${line.slice(0, 300)}`);
  });
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} (port ${httpPort} taken?)`);
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the server did not come up within ${START_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { wsUrl: `ws://127.0.0.1:${httpPort}/ws`, close: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
