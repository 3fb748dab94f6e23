/**
 * The one polling helper of the tests: waits, bounded, until `probe` returns something truthy, and
 * resolves with it. The error names what was awaited (`what`, a function when the message should carry
 * the last state seen), so a timeout says more than "condition not met".
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface UntilOptions {
  /** Default 5000. */
  timeoutMs?: number;
  /** Pause between probes; default 50. */
  intervalMs?: number;
  /** What is awaited, e.g. 'the room is closed'; read when the wait times out. */
  what?: string | (() => string);
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function until<T>(probe: () => T | Promise<T>, options: UntilOptions = {}): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Truthy<T>;
    if (Date.now() >= deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'the condition holds');
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    }
    await sleep(options.intervalMs ?? 50);
  }
}
