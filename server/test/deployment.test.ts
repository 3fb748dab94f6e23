/**
 * The deployment files: the compose file is checked against the current Compose specification with
 * dclint (no Docker engine is needed; the checker is shown to catch a broken file), `.env.example`
 * against the config's own list of settings, and the containers' healthcheck script against a real
 * server and a real coturn.
 */
import { describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SETTINGS } from '../src/config';
import { startTestServer } from '../../testkit/server';
import { startTestCoturn } from '../../testkit/coturn';

const root = path.resolve(__dirname, '../..');
const dclint = (file: string) =>
  spawnSync(process.execPath, [path.join(root, 'node_modules/dclint/bin/dclint.cjs'), '--max-warnings', '0', '--color', 'false', file], {
    encoding: 'utf8',
  });

describe('docker compose', () => {
  it('docker-compose.yml is valid and lint-clean', () => {
    const result = dclint(path.join(root, 'docker-compose.yml'));
    expect(result.stdout + result.stderr).not.toMatch(/error|warning/);
    expect(result.status).toBe(0);
  });

  it('the check rejects an invalid compose file', () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'compose-')), 'docker-compose.yml');
    fs.writeFileSync(bad, 'services:\n  sfu:\n    image: confero\n    ports: 5\n');
    const result = dclint(bad);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/invalid-schema/);
  });

  it('runs the SFU and coturn from one image, with the env file, healthchecks and restart policies', () => {
    const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const service = (name: string): string => new RegExp(`\\n  ${name}:\\n((?:    .*\\n|\\s*\\n)+)`).exec(compose)?.[1] ?? '';
    for (const name of ['sfu', 'turn']) {
      const body = service(name);
      expect(body, name).toContain('env_file: .env');
      expect(body, name).toContain('network_mode: host');
      expect(body, name).toContain('restart: unless-stopped');
      expect(body, name).toContain(`test: ["CMD", "node", "scripts/healthcheck.mjs", "${name}"]`);
      expect(body, name).toContain('./certs:/certs:ro');
    }
    expect(service('turn')).toContain('server/src/turn/main.ts');
  });

  it('.env.example lists every setting once, with its default', () => {
    const lines = fs.readFileSync(path.join(root, '.env.example'), 'utf8').split('\n');
    const entries = lines.map((line) => /^(?:# )?([A-Z][A-Z0-9_]+)=(.*)$/.exec(line)).filter((m) => m !== null);
    expect(entries.map((m) => m[1]).sort()).toEqual(SETTINGS.map((s) => s.name).sort());
    for (const setting of SETTINGS) {
      const entry = entries.find((m) => m[1] === setting.name)!;
      if (/^[\w.:-]+$/.test(setting.default)) expect(entry[0], setting.name).toBe(`${setting.name}=${setting.default}`);
      else expect(entry[0], setting.name).toBe(`# ${setting.name}=`);
    }
  });

  it('the healthcheck script tells a live SFU and coturn from dead ones', async () => {
    // Asynchronous: the server under test runs in this very process.
    const check = (what: string, env: Record<string, string>): Promise<{ status: number; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [path.join(root, 'scripts/healthcheck.mjs'), what], { env: { ...process.env, ...env } }, (error, _stdout, stderr) =>
          resolve({ status: error ? Number(error.code ?? 1) : 0, stderr }),
        );
      });
    const server = await startTestServer({});
    const port = new URL(server.baseUrl).port;
    expect((await check('sfu', { HTTP_HOST: '0.0.0.0', HTTP_PORT: port })).status).toBe(0);
    await server.close();
    const down = await check('sfu', { HTTP_HOST: '127.0.0.1', HTTP_PORT: port });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/unhealthy/);

    const coturn = await startTestCoturn({}, ['127.0.0.1']);
    const turnEnv = { TURN_LISTEN_IP: '127.0.0.1', TURN_PORT: String(coturn.config.turn.port) };
    expect((await check('turn', turnEnv)).status).toBe(0);
    await coturn.stop();
    expect((await check('turn', turnEnv)).status).toBe(1);
  });

  it('the image runs Node 22 and the server entry', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:22/m);
    expect(dockerfile).toContain('server/src/main.ts');
  });
});
