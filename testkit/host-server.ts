/**
 * A Confero server on a test host: `tsx server/src/main.ts` started inside the host's network namespace,
 * waited for until /healthz answers. Fixed ports are fine there: the namespace is private to the test.
 */
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { stopGroup, type TestHost } from './test-host';
import { until } from './until';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface HostServerOptions {
  /** Fixed ports are fine: the namespace is private. Defaults 3000 and 40000 (the server's own defaults). */
  httpPort?: number;
  rtcBasePort?: number;
  /** How long to wait for /healthz (tsx compiles the server on start; slow on a loaded 2-core machine). */
  startTimeoutMs?: number;
  /**
   * What the server speaks: 'https' when `env` sets HTTPS_CERT (a file pair or `self-signed`), else
   * 'http'. The /healthz wait accepts any certificate; tests that care check it themselves.
   */
  scheme?: 'http' | 'https';
}

export interface HostServer {
  /** http://ADDRESS:PORT (https:// with HTTPS_CERT) */
  baseUrl: string;
  httpPort: number;
  /** The worker's UDP and TCP port (one worker). */
  rtcPort: number;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

/** Starts `tsx server/src/main.ts` inside `host` with one worker and waits until /healthz answers 200. */
export async function startServerInHost(host: TestHost, env: Record<string, string> = {}, options: HostServerOptions = {}): Promise<HostServer> {
  const httpPort = options.httpPort ?? 3000;
  const rtcPort = options.rtcBasePort ?? 40000;
  const bin = path.join(REPO_ROOT, 'node_modules', '.bin');
  const child = host.spawn(path.join(bin, 'tsx'), ['server/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      // tsx's shebang is `env node`: make that the project's Node 22, as npm scripts do.
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HTTP_HOST: host.address,
      RTC_LISTEN_IP: host.address,
      HTTP_PORT: String(httpPort),
      RTC_BASE_PORT: String(rtcPort),
      MEDIASOUP_NUM_WORKERS: '1',
      LOG_LEVEL: 'warn',
      // host.address is not loopback, where a server without AUTH_KEYS refuses to start unless told to run
      // open: these tests are about connectivity, so open mode — unless the test brings its own keys.
      ...(env.AUTH_KEYS ? {} : { AUTH_OPEN: 'true' }),
      ...env,
    },
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const scheme = options.scheme ?? (env.HTTPS_CERT ? 'https' : 'http');
  const baseUrl = `${scheme}://${host.address}:${httpPort}`;
  const server: HostServer = {
    baseUrl,
    httpPort,
    rtcPort,
    process: child,
    output: () => output,
    close: () => stopGroup(child, 5000),
  };

  let last = 'no answer yet';
  const healthy = async (): Promise<boolean> => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Confero server in ${host.name} exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${output}`);
    }
    try {
      const response = scheme === 'https' ? await httpsGetInsecure(`${baseUrl}/healthz`, 2000) : await plainGet(`${baseUrl}/healthz`, 2000);
      last = `HTTP ${response.status}: ${response.body}`;
      return response.status === 200;
    } catch (error) {
      last = String((error as Error).cause ?? error);
      return false;
    }
  };
  try {
    await until(healthy, {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      intervalMs: 250,
      what: () => `the Confero server in ${host.name} is healthy at ${baseUrl}/healthz (last: ${last}):\n${output}`,
    });
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

async function plainGet(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

/** GET over https accepting any certificate (a test server's self-signed one is not known before it starts). */
function httpsGetInsecure(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { rejectUnauthorized: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
