// libsrtp's sources from Debian's own source package, for the worker build: Debian's binary libsrtp2
// is built against NSS, whose per-packet PKCS#11 calls cost the worker about twice the CPU of OpenSSL's
// AES-NI code for every SRTP packet out (bench: ~19–25 vs ~13–15 ms per 1,000 packets). Building
// libsrtp with OpenSSL, as mediasoup's own build does, needs its source, and Debian's apt (reachable
// here, unlike GitHub) serves it: `apt-get source` with deb-src entries made from the machine's own
// deb entries, in a scratch apt state so the system's configuration is never touched. Node built-ins only.

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const APT_TIMEOUT_MS = 180_000;

/** The machine's apt sources as deb-src entries: deb822 files and one-line lists. */
export async function debSrcEntries(etcApt = '/etc/apt') {
  const files = [];
  const listDir = path.join(etcApt, 'sources.list.d');
  const parts = await fs.readdir(listDir).catch(() => []);
  for (const name of parts.sort()) {
    if (name.endsWith('.sources') || name.endsWith('.list')) files.push(path.join(listDir, name));
  }
  files.unshift(path.join(etcApt, 'sources.list'));
  const out = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    if (file.endsWith('.sources')) {
      const converted = text.replace(/^Types:.*$/gm, 'Types: deb-src');
      if (/^Types: deb-src$/m.test(converted)) out.push({ name: `${path.basename(file, '.sources')}.sources`, text: converted });
    } else {
      const lines = text
        .split('\n')
        .filter((line) => /^deb\s/.test(line))
        .map((line) => line.replace(/^deb\s/, 'deb-src '));
      if (lines.length > 0) out.push({ name: `${path.basename(file).replace(/\.list$/, '')}.list`, text: `${lines.join('\n')}\n` });
    }
  }
  return out;
}

/**
 * Unpacks Debian's libsrtp2 upstream source into `targetDir` (a meson subproject: it ships a meson.build).
 * Returns the version, or undefined (with the reason logged) when the source cannot be had — the build
 * then falls back to Debian's binary libsrtp2.
 */
export async function fetchLibsrtpSource(targetDir, workDir, log) {
  const apt = path.join(workDir, 'apt-src');
  try {
    const entries = await debSrcEntries();
    if (entries.length === 0) throw new Error('no apt sources configured');
    await fs.mkdir(path.join(apt, 'parts'), { recursive: true });
    await fs.mkdir(path.join(apt, 'lists', 'partial'), { recursive: true });
    await fs.mkdir(path.join(apt, 'get'), { recursive: true });
    for (const entry of entries) await fs.writeFile(path.join(apt, 'parts', entry.name), entry.text);
    const options = [
      '-q',
      '-o',
      'Dir::Etc::SourceList=/dev/null',
      '-o',
      `Dir::Etc::SourceParts=${path.join(apt, 'parts')}`,
      '-o',
      `Dir::State::Lists=${path.join(apt, 'lists')}`,
      '-o',
      'Debug::NoLocking=1',
    ];
    log("libsrtp: fetching Debian's libsrtp2 source package (apt-get source, scratch apt state)");
    await exec('apt-get', [...options, 'update'], { timeout: APT_TIMEOUT_MS });
    await exec('apt-get', [...options, 'source', '--download-only', 'libsrtp2'], { cwd: path.join(apt, 'get'), timeout: APT_TIMEOUT_MS });
    const tarball = (await fs.readdir(path.join(apt, 'get'))).find((name) => /^libsrtp2_[\d.]+\.orig\.tar\.gz$/.test(name));
    if (!tarball) throw new Error('apt-get source fetched no libsrtp2_*.orig.tar.gz');
    await fs.rm(targetDir, { recursive: true, force: true });
    await fs.mkdir(targetDir, { recursive: true });
    await exec('tar', ['-xzf', path.join(apt, 'get', tarball), '-C', targetDir, '--strip-components=1']);
    await fs.access(path.join(targetDir, 'meson.build'));
    const version = /^libsrtp2_([\d.]+)\.orig/.exec(tarball)[1];
    log(`libsrtp: ${version} from Debian's source package, to be built with OpenSSL`);
    return version;
  } catch (error) {
    await fs.rm(targetDir, { recursive: true, force: true });
    const reason = (error.stderr || error.message || String(error)).toString().trim().split('\n').slice(-2).join(' ');
    log(`libsrtp: source unavailable (${reason}); falling back to Debian's binary libsrtp2 (NSS crypto: about twice the CPU per SRTP packet)`);
    return undefined;
  } finally {
    await fs.rm(apt, { recursive: true, force: true });
  }
}
