// Debian packages the project needs: checked with dpkg-query (fast), installed with apt-get when missing.
// As root we install them; otherwise we print the exact command and stop, since sudo may prompt.
import { execFileSync, spawnSync } from 'node:child_process';
import { log, step, SetupError } from './log.mjs';

export function missingPackages(packages) {
  return packages.filter((name) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

let updated = false;

export async function ensurePackages(packages, why) {
  const missing = missingPackages([...new Set(packages)]);
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new SetupError(
      `missing Debian packages for ${why}: ${missing.join(', ')}\n` + `  run:  sudo apt-get update && sudo ${command}\n  then run this command again.`,
    );
  }
  await step(`installing Debian packages for ${why}: ${missing.join(' ')}`, () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!updated) {
      execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
      updated = true;
    }
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  });
  const still = missingPackages(missing);
  if (still.length > 0) throw new SetupError(`apt-get did not install: ${still.join(', ')}`);
  log(`installed ${missing.join(' ')}`);
}
