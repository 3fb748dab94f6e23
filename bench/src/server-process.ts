/**
 * A real Confero server for the TTFF, memory and scaling sections: server/src/main.ts in its own Node process
 * (loaded with tsx's import hook, so the measured process is the server itself and not a launcher), on
 * loopback, with the per-address abuse limits raised — every bot connects from 127.0.0.1 within seconds.
 * Its cost is read from /proc: the Node process plus the mediasoup workers /healthz names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStat } from '../../loadtest/src/process-usage';
import { readVmRssBytes } from '../../server/src/metrics/worker-usage';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Generous: tsx compiles the server as it starts, which takes long on a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ServerOptions {
  /** HTTP port; workers take portBase + 10 + i, plain transports portBase + 100 … + 999. */
  portBase: number;
  workers?: number;
  maxPeersPerRoom?: number;
  /** More settings for the server (README's Configuration table). */
  env?: Record<string, string>;
  /** Load preload/gc-on-signal.mjs: collectGarbage() then runs a full GC in the server. */
  gcOnSignal?: boolean;
  log: (line: string) => void;
}

export interface ServerUsage {
  nodeRssBytes: number;
  workersRssBytes: number;
  nodeCpuSeconds: number;
  workersCpuSeconds: number;
}

export interface BenchServer {
  readonly pid: number;
  readonly wsUrl: string;
  readonly baseUrl: string;
  /** The live workers' pids, from /healthz. */
  workerPids(): Promise<number[]>;
  /** RSS and CPU seconds so far of the Node process and of every worker. */
  usage(): Promise<ServerUsage>;
  /** A full garbage collection in the server (needs gcOnSignal), then a moment for it to finish. */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

/** Servers not yet stopped: killed if the bench exits without stopping them (Ctrl-C, a crash). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** VmRSS of a process in bytes (0 when it is gone): the server's own /proc reader. */
const rssBytes = async (pid: number): Promise<number> => (await readVmRssBytes(pid)) ?? 0;

export async function startServer(options: ServerOptions): Promise<BenchServer> {
  const { portBase } = options;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(portBase),
    RTC_LISTEN_IP: '127.0.0.1',
    RTC_BASE_PORT: String(portBase + 10),
    RTC_MIN_PORT: String(portBase + 100),
    RTC_MAX_PORT: String(portBase + 999),
    MAX_PEERS_PER_ROOM: String(options.maxPeersPerRoom ?? 100),
    JOINS_PER_IP_PER_MINUTE: '100000',
    MAX_WS_CONNECTIONS_PER_IP: '100000',
    HTTP_RATE_PER_MINUTE: '100000', // browser bots load the page from loopback too
    WS_RATE_PER_SECOND: '10000',
    WS_RATE_BURST: '10000',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...(options.workers ? { MEDIASOUP_NUM_WORKERS: String(options.workers) } : {}),
    ...options.env,
  };
  delete env.AUTH_KEYS; // open mode on loopback: the bots carry no tokens
  const gcFlags = options.gcOnSignal ? ['--expose-gc', '--import', path.join(ROOT, 'bench/src/preload/gc-on-signal.mjs')] : [];
  const child = spawn(process.execPath, [...gcFlags, '--import', 'tsx', path.join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // The last lines, for the error when it exits early; warnings and errors go to the progress log.
  const tail: string[] = [];
  let stopping = false;
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      // Once stopping, a worker's "broken pipe" as Node exits first is expected.
      if (!stopping && /"level":(50|60)|error/i.test(line)) options.log(`  server: ${line.slice(0, 300)}`);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const baseUrl = `http://127.0.0.1:${portBase}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastAnswer = 'no answer yet';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the Confero server exited (${child.exitCode ?? child.signalCode}) while starting (port ${portBase} taken?): ${tail.slice(-3).join(' | ')}`,
      );
    }
    try {
      const health = await fetch(`${baseUrl}/readyz`);
      if (health.ok) break;
      lastAnswer = `/readyz answered ${health.status} ${(await health.text()).slice(0, 200)}`;
    } catch (error) {
      lastAnswer = `/readyz: ${(error as Error).message}`; // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the Confero server was not ready within ${START_TIMEOUT_MS / 1000} s (${lastAnswer}); its last lines: ${tail.slice(-3).join(' | ') || 'none'}`,
      );
    }
    await sleep(200);
  }

  const workerPids = async (): Promise<number[]> => {
    const body = (await (await fetch(`${baseUrl}/healthz`)).json()) as { workers: { pid: number }[] };
    return body.workers.map((w) => w.pid);
  };
  return {
    pid: child.pid!,
    wsUrl: `ws://127.0.0.1:${portBase}/ws`,
    baseUrl,
    workerPids,
    async usage(): Promise<ServerUsage> {
      const workers = await workerPids();
      return {
        nodeRssBytes: await rssBytes(child.pid!),
        workersRssBytes: (await Promise.all(workers.map(rssBytes))).reduce((sum, bytes) => sum + bytes, 0),
        nodeCpuSeconds: readStat(child.pid!)?.cpuSeconds ?? 0,
        workersCpuSeconds: workers.reduce((sum, pid) => sum + (readStat(pid)?.cpuSeconds ?? 0), 0),
      };
    },
    async collectGarbage(): Promise<void> {
      if (!options.gcOnSignal) throw new Error('collectGarbage() needs a server started with gcOnSignal');
      child.kill('SIGUSR2');
      // V8 sweeps and hands pages back on background threads: RSS falls over the next second or two.
      await sleep(1_000);
    },
    async stop(): Promise<void> {
      stopping = true;
      await stopChild(child, exited);
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}
