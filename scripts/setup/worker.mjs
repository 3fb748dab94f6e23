// Finds a mediasoup-worker binary for the exact mediasoup version in package-lock.json, in this order:
//   1. MEDIASOUP_WORKER_BIN, if set (the user's own binary);
//   2. our cache (~/.cache/confero/mediasoup-worker/<version>-<recipe hash>/), filled by an earlier run;
//   3. mediasoup's prebuilt release download, where the internet allows (the normal path for users);
//   4. a build from the mediasoup npm tarball's own sources against Debian packages (offline machines).
// Every candidate must pass mediasoup's own host check before it is used.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { log, step, SetupError } from './log.mjs';
import { ensurePackages } from './apt.mjs';
import { BUILD_APT_PACKAGES, buildWorker } from '../mediasoup-worker/build.mjs';

const PREBUILT_TIMEOUT_MS = 20_000;

export function cacheRoot() {
  const base = process.env.CONFERO_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'confero');
  return base;
}

/**
 * A worker started with no MEDIASOUP_VERSION in its environment exits with code 41: that is the check
 * mediasoup itself uses to tell that a binary runs on this host (right libc, libraries present).
 */
export function workerRunsHere(bin) {
  if (!fs.existsSync(bin)) return false;
  const r = spawnSync(bin, [], { env: {}, stdio: 'ignore', timeout: 10_000 });
  return r.status === 41;
}

function prebuiltName(version) {
  const kernel = os.platform() === 'linux' ? `-kernel${Number(os.release().split('.')[0])}` : '';
  return `mediasoup-worker-${version}-${os.platform()}-${os.arch()}${kernel}.tgz`;
}

async function tryPrebuilt(version, dir) {
  if (process.env.CONFERO_SKIP_PREBUILT === '1') return false;
  const base = process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL || 'https://github.com/versatica/mediasoup/releases/download';
  const url = `${base}/${version}/${prebuiltName(version)}`;
  log(`trying mediasoup's prebuilt worker: ${url}`);
  let body;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PREBUILT_TIMEOUT_MS) });
    if (!res.ok) {
      log(`no prebuilt worker (${res.status} ${res.statusText})`);
      return false;
    }
    body = Buffer.from(await res.arrayBuffer());
  } catch (error) {
    log(`no prebuilt worker (${error.cause?.code ?? error.name ?? error}): will build from source`);
    return false;
  }
  fs.mkdirSync(dir, { recursive: true });
  const tgz = path.join(dir, 'prebuilt.tgz');
  fs.writeFileSync(tgz, body);
  execFileSync('tar', ['xzf', tgz, '-C', dir]);
  fs.rmSync(tgz);
  return true;
}

const RECIPE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'mediasoup-worker');

/**
 * A short hash of our offline build recipe (stand-ins, compat headers, build script): part of the cache
 * key, so a fix to the recipe rebuilds the worker instead of reusing one built the old way.
 */
export function recipeHash() {
  const hash = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (name === 'compat-test') continue; // tests of the recipe, not inputs of the build
      if (fs.statSync(full).isDirectory()) walk(full);
      else hash.update(path.relative(RECIPE_DIR, full)).update(fs.readFileSync(full));
    }
  };
  walk(RECIPE_DIR);
  return hash.digest('hex').slice(0, 12);
}

/** Returns { bin, origin } of a worker that runs on this host. */
export async function resolveWorker(version) {
  const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
  if (fromEnv) {
    if (!workerRunsHere(fromEnv)) {
      throw new SetupError(`MEDIASOUP_WORKER_BIN=${fromEnv} does not run on this host (expected a mediasoup-worker ${version} binary)`);
    }
    return { bin: path.resolve(fromEnv), origin: 'MEDIASOUP_WORKER_BIN' };
  }

  const dir = path.join(cacheRoot(), 'mediasoup-worker', `${version}-${recipeHash()}`);
  const bin = path.join(dir, 'mediasoup-worker');
  const originFile = path.join(dir, 'origin');
  const origin = () => (fs.existsSync(originFile) ? fs.readFileSync(originFile, 'utf8').trim() : 'cache');

  if (fs.existsSync(bin)) {
    let runs = workerRunsHere(bin);
    // A source build links Debian's shared libraries: if one was removed, reinstall the packages.
    if (!runs && origin() === 'source build') {
      await ensurePackages(BUILD_APT_PACKAGES, 'the mediasoup worker built from source');
      runs = workerRunsHere(bin);
    }
    if (runs) return { bin, origin: origin() === 'cache' ? 'cache' : `cache (${origin()})` };
    log(`cached worker ${bin} does not run here; fetching a new one`);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  if (await tryPrebuilt(version, dir)) {
    if (workerRunsHere(bin)) {
      fs.writeFileSync(originFile, 'prebuilt\n');
      return { bin, origin: 'prebuilt download' };
    }
    log('the prebuilt worker does not run on this host; building from source');
    fs.rmSync(dir, { recursive: true, force: true });
  }

  await ensurePackages(BUILD_APT_PACKAGES, 'building the mediasoup worker');
  await step(`building mediasoup-worker ${version} from the npm package's sources (about 5 min on 2 cores)`, () =>
    buildWorker({ version, outFile: bin, log: (line) => log(`  ${line}`) }),
  );
  if (!workerRunsHere(bin)) throw new SetupError(`the worker built at ${bin} does not run (expected exit code 41)`);
  fs.writeFileSync(originFile, 'source build\n');
  return { bin, origin: 'source build' };
}

/**
 * mediasoup looks for its worker at node_modules/mediasoup/worker/out/Release/mediasoup-worker when
 * MEDIASOUP_WORKER_BIN is unset; we put ours there so every consumer (server, tests, mediasoup's own
 * suite) finds it without configuration.
 */
export function placeWorker(root, bin) {
  const target = path.join(root, 'node_modules', 'mediasoup', 'worker', 'out', 'Release', 'mediasoup-worker');
  const same = fs.existsSync(target) && fs.statSync(target).size === fs.statSync(bin).size && fs.statSync(target).mtimeMs >= fs.statSync(bin).mtimeMs;
  if (same) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(bin, `${target}.tmp`);
  fs.chmodSync(`${target}.tmp`, 0o755);
  fs.renameSync(`${target}.tmp`, target);
  return target;
}
