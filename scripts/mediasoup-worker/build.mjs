// Builds mediasoup's C++ worker from the npm tarball's own sources against
// Debian packages, for machines that reach the npm registry and Debian's apt
// but not GitHub (where mediasoup's postinstall downloads a prebuilt worker
// and, failing that, every C++ dependency). Node built-ins only.
//
//   node scripts/mediasoup-worker/build.mjs <version> <outFile>
//
// How: `npm pack mediasoup@<version>`, then replace each meson subproject
// (.wrap) with our stand-in from ./subprojects, which exposes the Debian
// library under the variable names mediasoup's meson.build reads, plus two
// compatibility headers from ./compat (libsrtp v3 API on libsrtp 2.5,
// ankerl::unordered_dense on std containers). libsrtp itself is built from
// Debian's source package with OpenSSL (libsrtp-source.mjs), falling back to
// Debian's NSS-based binary. mediasoup's C++ is not changed.
// Use the result with MEDIASOUP_WORKER_BIN=<outFile> (also at npm install time,
// which then skips the worker download/build).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetchLibsrtpSource } from './libsrtp-source.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// Debian 12 packages to build the worker; the -dev packages pull in the
// runtime libraries the binary links against (libuv1, libssl3, libsrtp2-1 and
// NSS, libabsl20220623, libflatbuffers2), which must stay installed.
export const BUILD_APT_PACKAGES = [
  'g++',
  'pkg-config',
  'ninja-build',
  'meson',
  'libuv1-dev',
  'libssl-dev',
  'libsrtp2-dev',
  'libabsl-dev',
  'libflatbuffers-dev',
  'flatbuffers-compiler',
];

// .wrap file name -> our stand-in (./subprojects/<standin>) and the compat
// headers copied into it (repo path -> path inside the stand-in). The target
// directory name always comes from the wrap's `directory =` line.
const STANDINS = {
  libuv: { standin: 'libuv' },
  openssl: { standin: 'openssl' },
  libsrtp3: { standin: 'libsrtp3', headers: { 'compat/srtp3/srtp.h': 'include/srtp.h' } },
  flatbuffers: { standin: 'flatbuffers' },
  'abseil-cpp': { standin: 'abseil-cpp' },
  'unordered-dense': {
    standin: 'unordered-dense',
    headers: { 'compat/ankerl/unordered_dense.h': 'include/ankerl/unordered_dense.h' },
  },
};
// Wraps meson never opens for the worker target on Linux: catch2 only with
// -Dms_build_tests, wingetopt only on Windows.
const UNUSED_WRAPS = new Set(['catch2', 'wingetopt']);

// The only meson_version requirement verified to build identically with
// Debian 12's meson 1.0.1.
const LOWERABLE_MESON_REQUIREMENT = '1.1.0';

const OUTPUT_TAIL_LINES = 40;
const PROGRESS_INTERVAL_MS = 15_000;

// Options for diagnostic builds (defaults = the release worker):
//   buildType: meson buildtype ('release' | 'debug' | 'debugoptimized')
//   sanitize:  meson b_sanitize value (e.g. 'address'); 'none' = off
export async function buildWorker({ version, outFile, buildType = 'release', sanitize = 'none', log = (msg) => console.log(msg) }) {
  if (!['release', 'debug', 'debugoptimized', 'plain', 'minsize'].includes(buildType)) throw new Error(`invalid buildType: ${buildType}`);
  if (!/^[a-z,]+$/.test(sanitize)) throw new Error(`invalid sanitize: ${sanitize}`);
  if (!version || !/^[0-9A-Za-z.+-]+$/.test(version)) throw new Error(`invalid mediasoup version: ${version}`);
  if (!outFile) throw new Error('outFile is required');
  outFile = path.resolve(outFile);
  checkTools();

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'confero-mediasoup-worker-'));
  try {
    log(`pack: npm pack mediasoup@${version} (in ${tmp})`);
    const packOut = await run('npm', ['pack', `mediasoup@${version}`, '--json'], { cwd: tmp });
    const tarball = JSON.parse(packOut.slice(packOut.indexOf('[')))[0].filename;
    await run('tar', ['-xzf', tarball], { cwd: tmp });
    const workerDir = path.join(tmp, 'package', 'worker');

    log('configure: writing stand-in subprojects');
    await writeStandins(workerDir, log);
    await fetchLibsrtpSource(path.join(workerDir, 'subprojects', 'libsrtp2'), tmp, log);
    await adaptMesonVersion(workerDir, log);
    const setupArgs = ['setup', 'build', '--buildtype', buildType, '--wrap-mode=nodownload'];
    if (buildType === 'release') setupArgs.push('-Db_ndebug=true');
    if (sanitize !== 'none') setupArgs.push(`-Db_sanitize=${sanitize}`, '-Db_lundef=false');
    log(`configure: meson ${setupArgs.join(' ')}`);
    await run('meson', setupArgs, { cwd: workerDir });

    const jobs = os.availableParallelism?.() ?? os.cpus().length;
    log(`compile: ninja -C build -j${jobs} mediasoup-worker`);
    const started = Date.now();
    let lastReport = started;
    await run('ninja', ['-C', 'build', `-j${jobs}`, 'mediasoup-worker'], {
      cwd: workerDir,
      onLine(line) {
        const m = /^\[(\d+)\/(\d+)\]/.exec(line);
        if (!m || Date.now() - lastReport < PROGRESS_INTERVAL_MS) return;
        lastReport = Date.now();
        log(`compile ${m[1]}/${m[2]} (${formatElapsed(lastReport - started)})`);
      },
    });
    log(`compile: done in ${formatElapsed(Date.now() - started)}`);
    await checkKtlsGuard(path.join(workerDir, 'build', 'mediasoup-worker'), log);
    await reportSrtpLibrary(path.join(workerDir, 'build', 'mediasoup-worker'), log);

    // Atomic install: a concurrent reader sees the old binary or the new one.
    await fs.mkdir(path.dirname(outFile), { recursive: true });
    const tmpOut = `${outFile}.tmp`;
    await fs.copyFile(path.join(workerDir, 'build', 'mediasoup-worker'), tmpOut);
    await fs.chmod(tmpOut, 0o755);
    await fs.rename(tmpOut, outFile);
    log(`installed ${outFile}`);
  } catch (err) {
    // Keep the tree for inspection.
    err.message += `\n(build directory kept: ${tmp})`;
    throw err;
  }
  await fs.rm(tmp, { recursive: true, force: true });
  return outFile;
}

// The openssl stand-in links the worker with -Wl,--wrap=BIO_set_callback_ex
// (see subprojects/openssl/bio_ktls_guard.c: without it the worker crashes on
// the first DTLS handshake with Debian's kTLS-enabled libssl). If the worker
// calls BIO_set_callback_ex, the wrapper must be in the binary.
async function checkKtlsGuard(binary, log) {
  const syms = await run('nm', [binary]);
  const usesCallbackEx = /^\s+U BIO_set_callback_ex(@|$)/m.test(syms);
  const hasGuard = /^[0-9a-f]+ T __wrap_BIO_set_callback_ex$/m.test(syms);
  if (usesCallbackEx && !hasGuard) {
    throw new Error('the worker calls BIO_set_callback_ex but the kTLS guard (__wrap_BIO_set_callback_ex) is not linked in');
  }
  log(`check: kTLS BIO guard ${hasGuard ? 'linked' : 'not needed (no BIO_set_callback_ex)'}`);
}

// Which libsrtp the worker ended up with: linked in (built here with OpenSSL) or Debian's shared one (NSS).
async function reportSrtpLibrary(binary, log) {
  const dynamic = await run('readelf', ['-d', binary]);
  const shared = /\(NEEDED\)\s+Shared library: \[libsrtp2\.so[^\]]*\]/.test(dynamic);
  log(`check: SRTP from ${shared ? "Debian's shared libsrtp2 (NSS crypto)" : 'libsrtp linked in, built with OpenSSL'}`);
}

function checkTools() {
  const missing = ['npm', 'tar', 'meson', 'ninja', 'pkg-config', 'g++', 'flatc', 'nm', 'readelf'].filter(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error,
  );
  if (missing.length) {
    throw new Error(`missing build tools: ${missing.join(', ')}; run: apt-get install -y ${BUILD_APT_PACKAGES.join(' ')}`);
  }
}

// Parses the `directory =` line of a .wrap (meson defaults it to the wrap name).
function wrapDirectory(text, name) {
  const m = /^\s*directory\s*=\s*(\S+)\s*$/m.exec(text);
  return m ? m[1] : name;
}

async function writeStandins(workerDir, log) {
  const subDir = path.join(workerDir, 'subprojects');
  const wraps = (await fs.readdir(subDir)).filter((f) => f.endsWith('.wrap')).sort();
  const unknown = wraps.map((f) => f.slice(0, -5)).filter((n) => !STANDINS[n] && !UNUSED_WRAPS.has(n));
  if (unknown.length) {
    throw new Error(
      `mediasoup needs subprojects this build script has no stand-in for: ${unknown.join(', ')} ` +
        `(see ${path.join(subDir, unknown[0] + '.wrap')}); add one under scripts/mediasoup-worker/subprojects and map it in STANDINS`,
    );
  }
  for (const file of wraps) {
    const name = file.slice(0, -5);
    const spec = STANDINS[name];
    if (!spec) continue;
    const dir = wrapDirectory(await fs.readFile(path.join(subDir, file), 'utf8'), name);
    if (dir.includes('/') || dir.includes('..')) throw new Error(`unexpected directory in ${file}: ${dir}`);
    const target = path.join(subDir, dir);
    await fs.rm(target, { recursive: true, force: true });
    await fs.cp(path.join(HERE, 'subprojects', spec.standin), target, { recursive: true });
    await fs.copyFile(path.join(HERE, 'subprojects', 'standin.c'), path.join(target, 'standin.c'));
    for (const [from, to] of Object.entries(spec.headers ?? {})) {
      await fs.mkdir(path.dirname(path.join(target, to)), { recursive: true });
      await fs.copyFile(path.join(HERE, from), path.join(target, to));
    }
    log(`configure: ${file} -> subprojects/${dir} (stand-in ${spec.standin})`);
  }
}

// Debian 12 has meson 1.0.1; mediasoup asks for >= 1.1.0, which builds the
// same. Lower that known requirement only, and only in the extracted copy.
async function adaptMesonVersion(workerDir, log) {
  const installed = (await run('meson', ['--version'])).trim();
  const file = path.join(workerDir, 'meson.build');
  const text = await fs.readFile(file, 'utf8');
  const m = /meson_version\s*:\s*'>=\s*([0-9.]+)'/.exec(text);
  if (!m || compareVersions(installed, m[1]) >= 0) return;
  if (compareVersions(m[1], LOWERABLE_MESON_REQUIREMENT) > 0) {
    throw new Error(`mediasoup needs meson >= ${m[1]} but ${installed} is installed; install a newer meson (e.g. from bookworm-backports)`);
  }
  await fs.writeFile(file, text.replace(m[0], `meson_version: '>= ${installed}'`));
  log(`configure: meson ${installed} < ${m[1]}: lowered the requirement in the extracted meson.build`);
}

function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

function formatElapsed(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

// Runs a command; resolves with its stdout. Keeps the last lines of combined
// output for the error message and feeds complete lines to onLine.
function run(cmd, args, { cwd, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = [];
    let stdout = '';
    const partial = { stdout: '', stderr: '' };
    const feed = (stream, chunk) => {
      const text = partial[stream] + chunk;
      const lines = text.split(/\r?\n/);
      partial[stream] = lines.pop();
      for (const line of lines) {
        tail.push(line);
        if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
        onLine?.(line);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (c) => {
      stdout += c;
      feed('stdout', c);
    });
    child.stderr.setEncoding('utf8').on('data', (c) => feed('stderr', c));
    child.on('error', (err) => reject(new Error(`${cmd} could not be started: ${err.message}`)));
    child.on('close', (code, signal) => {
      for (const rest of Object.values(partial)) if (rest) tail.push(rest);
      if (code === 0) return resolve(stdout);
      const status = signal ? `signal ${signal}` : `exit code ${code}`;
      reject(
        new Error(
          `${cmd} ${args.join(' ')} failed (${status}) in ${cwd ?? process.cwd()}\n` +
            `--- last ${OUTPUT_TAIL_LINES} lines of output ---\n${tail.slice(-OUTPUT_TAIL_LINES).join('\n')}`,
        ),
      );
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  // Optional env for diagnostic builds: MS_WORKER_BUILDTYPE=debug MS_WORKER_SANITIZE=address
  const [version, outFile] = process.argv.slice(2);
  if (!version || !outFile) {
    console.error('usage: [MS_WORKER_BUILDTYPE=debug] [MS_WORKER_SANITIZE=address] node scripts/mediasoup-worker/build.mjs <mediasoup-version> <outFile>');
    process.exit(2);
  }
  const t0 = Date.now();
  buildWorker({
    version,
    outFile,
    buildType: process.env.MS_WORKER_BUILDTYPE || 'release',
    sanitize: process.env.MS_WORKER_SANITIZE || 'none',
    log: (msg) => console.log(`[mediasoup-worker ${formatElapsed(Date.now() - t0)}] ${msg}`),
  })
    .then(() => process.exit(0))
    .catch((err) => {
      console.error(err.message);
      process.exit(1);
    });
}
