#!/usr/bin/env node
// The set-up step that `npm start` and `npm test` run first. Idempotent and quick when nothing is
// missing; on a fresh Debian machine it installs what the project needs:
//   Debian packages (tests only, or when the worker must be built) → a mediasoup worker → npm packages
//   → the worker placed where mediasoup looks for it → the browser client built.
// Only Node built-ins here: this runs before node_modules exists.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { log, step, elapsed, SetupError } from './setup/log.mjs';
import { ensurePackages } from './setup/apt.mjs';
import { resolveWorker, placeWorker } from './setup/worker.mjs';
import { ensureClientBuild } from './setup/client.mjs';
import { BUILD_APT_PACKAGES } from './mediasoup-worker/build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');

/** Debian packages the test suite needs beyond the worker: openssl for test certificates, g++ and
 *  libsrtp2-dev for the SRTP compatibility-header test, Chromium for the browser tests. */
const TEST_APT_PACKAGES = ['openssl', 'chromium', 'firefox-esr', 'nftables', 'iproute2', 'coturn', ...BUILD_APT_PACKAGES];

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    throw new SetupError(`Node ${process.versions.node} is too old: Confero needs Node 20.19 or newer`);
  }
}

function mediasoupVersion() {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.['node_modules/mediasoup']?.version;
  if (!version) throw new SetupError('package-lock.json does not pin mediasoup');
  return version;
}

/** npm ci runs only when package.json or package-lock.json changed since the last successful install. */
async function ensureNodeModules(workerBin) {
  const hash = crypto.createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) hash.update(fs.readFileSync(path.join(root, file)));
  const stamp = hash.digest('hex');
  const stampFile = path.join(root, 'node_modules', '.confero-install-stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return;
  await step('installing npm packages (npm ci)', () => {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      // Our worker is already there: mediasoup's postinstall must neither download nor build one, and
      // puppeteer must not download a browser (Debian's Chromium is used).
      env: { ...process.env, MEDIASOUP_WORKER_BIN: workerBin, PUPPETEER_SKIP_DOWNLOAD: '1' },
    });
  });
  fs.writeFileSync(stampFile, stamp);
}

async function main() {
  checkNode();
  if (forTests) await ensurePackages(TEST_APT_PACKAGES, 'the test suite');
  const version = mediasoupVersion();
  const worker = await resolveWorker(version);
  await ensureNodeModules(worker.bin);
  placeWorker(root, worker.bin);
  await ensureClientBuild(root);
  log(`ready in ${elapsed()}: mediasoup ${version}, worker from ${worker.origin} (${worker.bin})`);
}

main().catch((error) => {
  process.stderr.write(`[setup] ${error instanceof SetupError ? error.message : error.stack}\n`);
  process.exit(1);
});
