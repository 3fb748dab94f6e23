/**
 * The compose file is checked against the current Compose specification with dclint (no Docker engine
 * is needed), and the checker itself is shown to catch a broken file.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

  it('the image runs Node 22 and the server entry', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:22/m);
    expect(dockerfile).toContain('server/src/main.ts');
  });
});
