/**
 * Counting events in fixed windows: one window per key (a client address) that starts at the key's first
 * event, so windows of different clients are not aligned and no common boundary lets everyone burst at
 * once. Memory is bounded by the keys active in the last window: ended windows are swept at most once
 * per window length.
 */
import { monotonicMs, type Clock } from './token-bucket';

export type WindowVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

export class KeyedWindowCounter {
  readonly #windows = new Map<string, { startMs: number; count: number }>();
  #sweptMs: number;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: Clock = monotonicMs,
  ) {
    this.#sweptMs = now();
  }

  /** Counts one event for `key` if it is within the limit; otherwise says when the key's window ends. */
  hit(key: string): WindowVerdict {
    const now = this.now();
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (!window || now - window.startMs >= this.windowMs) {
      window = { startMs: now, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= this.limit) return { allowed: false, retryAfterMs: window.startMs + this.windowMs - now };
    window.count += 1;
    return { allowed: true };
  }

  /** Keys with a window still open (for tests and metrics). */
  get size(): number {
    return this.#windows.size;
  }

  #sweep(now: number): void {
    if (now - this.#sweptMs < this.windowMs) return;
    this.#sweptMs = now;
    for (const [key, window] of this.#windows) if (now - window.startMs >= this.windowMs) this.#windows.delete(key);
  }
}
