/**
 * The project runs on its own Node 22 (the pinned `node` devDependency), whatever the system's Node is:
 * npm scripts find it first on PATH, and the server that `npm start` starts reports it on /healthz.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { OS_CHOSEN_PORTS_ENV } from '../../testkit/ports';
import { waitUntilUp } from '../../testkit/server-process';
import { until } from '../../testkit/until';

const root = path.resolve(__dirname, '../..');
const major = (version: string) => Number(version.replace(/^v/, '').split('.')[0]);

let server: ChildProcess | undefined;
afterAll(() => {
  // npm start runs the server in its own process group (detached): end the whole group.
  if (server?.pid) process.kill(-server.pid, 'SIGTERM');
});

describe('Node runtime', () => {
  it('vitest workers run on Node 22 or newer', () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(22);
  });

  it('npm scripts pick up the pinned Node 22', () => {
    const result = spawnSync('npm', ['exec', '-c', 'node --version'], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^v22\./);
  });

  it('the server started by `npm start` runs on Node 22 or newer', async () => {
    // LOG_LEVEL info: the start-up line says which port the OS gave it.
    const child = spawn('npm', ['start'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...OS_CHOSEN_PORTS_ENV, MEDIASOUP_NUM_WORKERS: '1', LOG_LEVEL: 'info' },
    });
    server = child;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const port = await waitUntilUp(child, () => output);
    const health = await until(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`)
          .then((res) => res.json() as Promise<{ status: string; node: string }>)
          .catch(() => undefined),
      { timeoutMs: 20_000, intervalMs: 100, what: '/healthz answers' },
    ).catch(() => undefined);
    expect(health?.status).toBe('ok');
    expect(major(health!.node)).toBeGreaterThanOrEqual(22);
  });
});
