// Builds the browser client (Vite) into client/dist when its sources changed since the last build, so
// `npm start` always serves the current page and an unchanged tree costs only a hash of the sources.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { step } from './log.mjs';

const INPUTS = ['client/index.html', 'client/vite.config.ts', 'client/src', 'protocol/src', 'package-lock.json'];

function listFiles(root, rel) {
  const full = path.join(root, rel);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [rel];
  return fs
    .readdirSync(full)
    .sort()
    .flatMap((name) => listFiles(root, path.join(rel, name)));
}

export async function ensureClientBuild(root) {
  if (!fs.existsSync(path.join(root, 'client', 'index.html'))) return;
  const hash = crypto.createHash('sha256');
  for (const file of INPUTS.flatMap((input) => listFiles(root, input))) {
    hash.update(file);
    hash.update(fs.readFileSync(path.join(root, file)));
  }
  const stamp = hash.digest('hex');
  const stampFile = path.join(root, 'client', 'dist', '.build-stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return;
  await step('building the browser client (vite build)', () => {
    execFileSync(path.join(root, 'node_modules', '.bin', 'vite'), ['build', 'client', '--logLevel', 'warn'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });
  fs.writeFileSync(stampFile, stamp);
}
