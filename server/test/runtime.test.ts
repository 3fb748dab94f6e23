/**
 * The project runs on its own Node 22 (the pinned `node` devDependency), whatever the system's Node is:
 * npm scripts find it first on PATH, and the server that `npm start` starts reports it on /healthz.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { portBlock } from './helpers/ports';

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
    const port = portBlock() + 49;
    server = spawn('npm', ['start'], {
      cwd: root,
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, HTTP_PORT: String(port), MEDIASOUP_NUM_WORKERS: '1', RTC_BASE_PORT: String(portBlock() + 48), LOG_LEVEL: 'warn' },
    });
    let health: { status: string; node: string } | undefined;
    for (let i = 0; i < 200 && !health; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`)
        .then((res) => res.json() as Promise<{ status: string; node: string }>)
        .catch(() => undefined);
      if (!health) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(health?.status).toBe('ok');
    expect(major(health!.node)).toBeGreaterThanOrEqual(22);
  });
});
