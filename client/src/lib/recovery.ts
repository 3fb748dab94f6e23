/**
 * Reconnection policy: which failures are worth retrying, exponential backoff with jitter (none before the
 * first rejoin after a worker death), and a sleep that leave() can cut short.
 */
import { ProtocolError } from './protocol';
import { ConnectionClosedError, RequestTimeoutError } from './signalling';

/** Server answers that will not change by retrying: stop reconnecting. */
const FATAL_CODES = new Set(['version_mismatch', 'unauthorized', 'forbidden', 'bad_request', 'unknown_method']);

/**
 * Lost connections, timeouts and transient server states (unavailable, room_full — our own ghost may
 * still hold a seat — internal) are retried; refusals and local errors (e.g. the Device cannot load
 * the router's capabilities) are not.
 */
export function isRetryable(error: Error): boolean {
  if (error instanceof ConnectionClosedError || error instanceof RequestTimeoutError) return true;
  if (error instanceof ProtocolError) return !FATAL_CODES.has(error.code);
  return false;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** ± this fraction of randomness, so that hundreds of bots cut off together do not return in lockstep. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 5_000, jitter: 0.2 };

/** Delay before attempt `n` (1-based): 250, 500, 1000, 2000, 4000, 5000, 5000… ms, jittered. */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  const spread = base * options.jitter;
  return Math.round(base - spread + Math.random() * 2 * spread);
}

/**
 * Why the session is rejoining: the connection was lost (or the server is shutting down), or the room's
 * media worker died. A worker death is a server-side crash the server has already recovered from — the
 * room is recreated on a live worker when we ask — so waiting would only prolong the outage.
 */
export type RejoinCause = 'lost' | 'worker_died';

/**
 * Delay before rejoin attempt `n` (1-based): after a worker death the first attempt goes at once and
 * only a failed one falls back to the backoff (500, 1000… ms); every other cause backs off from the start.
 */
export function rejoinDelay(attempt: number, cause: RejoinCause, options: BackoffOptions = DEFAULT_BACKOFF): number {
  if (cause === 'worker_died' && attempt === 1) return 0;
  return backoffDelay(attempt, options);
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
