/**
 * The set-up script's decisions that a fresh machine depends on: which Debian packages are missing, and
 * what a non-root user is told to run. (The install itself runs for real on every fresh CI machine.)
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
// @ts-expect-error plain ESM script without types
import { missingPackages } from '../../scripts/setup/apt.mjs';
// @ts-expect-error plain ESM script without types
import { recipeHash, workerRunsHere } from '../../scripts/setup/worker.mjs';

const root = path.resolve(__dirname, '../..');

describe('setup', () => {
  it('finds installed and missing Debian packages with dpkg-query', () => {
    expect(missingPackages(['coreutils', 'confero-no-such-package'])).toEqual(['confero-no-such-package']);
  });

  it('tells a non-root user the exact apt-get command and stops', () => {
    const script = `
      Object.defineProperty(process, 'getuid', { value: () => 1000 });
      const { ensurePackages } = await import(${JSON.stringify(path.join(root, 'scripts/setup/apt.mjs'))});
      try { await ensurePackages(['coreutils', 'confero-no-such-package'], 'a test'); console.log('NO ERROR'); }
      catch (e) { console.log(e.message); }`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stdout).toContain('missing Debian packages for a test: confero-no-such-package');
    expect(result.stdout).toContain('sudo apt-get update && sudo apt-get install -y --no-install-recommends confero-no-such-package');
    expect(result.stdout).not.toContain('NO ERROR');
  });

  it('accepts only a worker binary that passes mediasoup’s host check', () => {
    expect(workerRunsHere(path.join(root, 'node_modules/mediasoup/worker/out/Release/mediasoup-worker'))).toBe(true);
    expect(workerRunsHere('/bin/true')).toBe(false);
    expect(workerRunsHere('/nonexistent/mediasoup-worker')).toBe(false);
  });

  it('keys the worker cache on the build recipe', () => {
    expect(recipeHash()).toMatch(/^[0-9a-f]{12}$/);
    expect(recipeHash()).toBe(recipeHash());
  });
});
