/**
 * The project's cache, worked out as set-up does for the worker build (scripts/setup/worker.mjs):
 * `CONFERO_CACHE_DIR`, else `$XDG_CACHE_HOME/confero`, else ~/.cache/confero. The server keeps its
 * self-signed certificate there, `npm run turn` its coturn files.
 */
import os from 'node:os';
import path from 'node:path';

export function cacheDir(): string {
  return process.env.CONFERO_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'confero');
}
