/**
 * A token bucket: `burst` tokens to start with, refilled at `ratePerSecond` up to `burst`. A client may
 * send a burst (a join is a handful of requests at once) but not sustain more than the rate. Pure: the
 * clock is injected, so tests drive time by hand.
 */
export type Clock = () => number;

/** Milliseconds from an arbitrary origin that never go backwards (wall-clock changes do not refill buckets). */
export const monotonicMs: Clock = () => performance.now();

export class TokenBucket {
  #tokens: number;
  #updatedMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: Clock = monotonicMs,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1))
      throw new RangeError(`token bucket needs a positive rate and a burst of at least 1 (got ${ratePerSecond}, ${burst})`);
    this.#tokens = burst;
    this.#updatedMs = now();
  }

  /** Takes one token if there is one; false means the caller is over the rate. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whole tokens available now. */
  get available(): number {
    this.#refill();
    return Math.floor(this.#tokens);
  }

  #refill(): void {
    const now = this.now();
    const elapsedMs = Math.max(0, now - this.#updatedMs);
    this.#updatedMs = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs / 1000) * this.ratePerSecond);
  }
}
