#!/usr/bin/env node
// The set-up step that `npm start` and `npm test` run first. Idempotent and quick when nothing is
// missing; on a fresh Debian machine it installs what the project needs:
//   Debian packages (tests only, or when the worker must be built) → a mediasoup worker → npm packages
//   (among them the project's own Node 22 runtime) → the worker placed where mediasoup looks for it
//   → the browser client built.
// Only Node built-ins here: this runs before node_modules exists, so on a fresh machine it runs on the
// system's Node (20 is enough for this script). Everything after it in an npm script — the server, vitest,
// tsc, mediasoup's suite — runs on the pinned `node` devDependency: npm puts node_modules/.bin first on
// PATH, and node_modules/.bin/node is the official Node 22 binary from the npm registry.
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
/** `npm run turn` runs Debian's coturn. */
const forTurn = process.argv.includes('--turn');
/** `npm run loadtest` may drive browser bots in Debian's Chromium. */
const forLoadtest = process.argv.includes('--loadtest');

/** Debian packages the test suite needs beyond the worker: openssl for test certificates, g++ and
 *  libsrtp2-dev for the SRTP compatibility-header test, Chromium and Firefox ESR for the browser tests,
 *  iproute2 and nftables for test hosts in network namespaces, coturn (and its turnutils_uclient). */
const TEST_APT_PACKAGES = ['openssl', 'chromium', 'firefox-esr', 'nftables', 'iproute2', 'coturn', ...BUILD_APT_PACKAGES];

/** Node that can run this script and npm 11 (which installs the real runtime). */
function checkBootstrapNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 17)) {
    throw new SetupError(`Node ${process.versions.node} is too old to set up Confero: install Node 20.17 or newer (the project then brings its own Node 22)`);
  }
}

/** The Node that npm scripts will run on: the pinned devDependency. Says so when it differs from ours. */
function checkProjectNode() {
  const projectNode = path.join(root, 'node_modules', '.bin', 'node');
  if (!fs.existsSync(projectNode))
    throw new SetupError('node_modules/.bin/node is missing: the `node` devDependency did not install (rerun with the npm registry reachable)');
  const version = execFileSync(projectNode, ['--version'], { encoding: 'utf8' }).trim();
  if (Number(version.slice(1).split('.')[0]) < 22) throw new SetupError(`node_modules/.bin/node is ${version}; Confero needs Node 22 or newer`);
  return version;
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
  checkBootstrapNode();
  if (forTests) await ensurePackages(TEST_APT_PACKAGES, 'the test suite');
  if (forTurn) await ensurePackages(['coturn'], 'the TURN server (npm run turn)');
  if (forLoadtest) await ensurePackages(['chromium'], 'browser bots (npm run loadtest)');
  const version = mediasoupVersion();
  const worker = await resolveWorker(version);
  await ensureNodeModules(worker.bin);
  const nodeVersion = checkProjectNode();
  // What set-up starts from here on (vite) runs on the project's Node, as npm scripts do.
  process.env.PATH = `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`;
  placeWorker(root, worker.bin);
  await ensureClientBuild(root);
  log(`ready in ${elapsed()}: Node ${nodeVersion}, mediasoup ${version}, worker from ${worker.origin} (${worker.bin})`);
}

main().catch((error) => {
  process.stderr.write(`[setup] ${error instanceof SetupError ? error.message : error.stack}\n`);
  process.exit(1);
});
