// Progress lines for the setup scripts: every line says how long setup has been running, and long steps
// report their own duration, so a slow first run is visibly progressing rather than hung. They go to
// stderr: stdout belongs to the command set-up runs before (`npm run -s token | …` gets the token alone).
const started = Date.now();

export function elapsed(since = started) {
  const s = Math.round((Date.now() - since) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function log(message) {
  process.stderr.write(`[setup ${elapsed()}] ${message}\n`);
}

/** Runs `fn`, logging its start and its duration. */
export async function step(title, fn) {
  const t0 = Date.now();
  log(`${title} ...`);
  const result = await fn();
  log(`${title}: done in ${elapsed(t0)}`);
  return result;
}

export class SetupError extends Error {}
