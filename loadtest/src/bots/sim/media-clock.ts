/**
 * One timer for every sim bot of a factory instead of a few per bot: hundreds of bots would otherwise
 * mean thousands of timer callbacks a second. Each subscriber is called every TICK_MS with the current
 * time and decides itself what is due (a Cadence helps); bots start at random phases, so their packets
 * spread over the tick instead of leaving in one burst.
 *
 * The timer runs only while someone is subscribed, so a closed factory leaves nothing behind.
 */

export const TICK_MS = 5;

export type Tick = (nowMs: number) => void;

export class MediaClock {
  readonly #subscribers = new Set<Tick>();
  readonly #onError: (error: unknown) => void;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(onError: (error: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  /** Calls `tick` every TICK_MS until the returned function is called. */
  subscribe(tick: Tick): () => void {
    this.#subscribers.add(tick);
    this.#timer ??= setInterval(() => this.#run(), TICK_MS);
    return () => {
      this.#subscribers.delete(tick);
      if (this.#subscribers.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  #run(): void {
    const now = performance.now();
    for (const tick of this.#subscribers) {
      try {
        tick(now);
      } catch (error) {
        // One bot's trouble must not stop the others' media.
        this.#onError(error);
      }
    }
  }
}

/** If the event loop fell this far behind, skip the missed events instead of sending them in a burst. */
const MAX_CATCH_UP_MS = 100;

/** Something due every `intervalMs` (a packet, a frame, a report), starting at `firstAt`. */
export class Cadence {
  readonly #intervalMs: number;
  #next: number;

  constructor(intervalMs: number, firstAt: number) {
    this.#intervalMs = intervalMs;
    this.#next = firstAt;
  }

  /** True once per due event: call it in a loop to catch up after a late tick. */
  take(nowMs: number): boolean {
    if (nowMs < this.#next) return false;
    if (nowMs - this.#next > MAX_CATCH_UP_MS) this.#next = nowMs;
    this.#next += this.#intervalMs;
    return true;
  }
}
