/**
 * A tiny typed event emitter. The library runs in browsers and in Node (load-test bots), so it cannot use
 * node:events, and EventTarget would force every payload into an Event object. One payload per event
 * keeps listeners simple: `session.on('track', ({ track }) => …)`.
 *
 * `Events` maps an event name to its payload type, e.g. `{ close: { code: number }; ready: void }`.
 */

export type Listener<T> = (payload: T) => void;

export class Emitter<Events extends object> {
  // One Set per event: adding the same listener twice is a no-op, and removal during emit is safe
  // because emit iterates over a copy.
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Subscribes; returns a function that unsubscribes (handy for cleanup in UI code). */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    set.delete(listener as Listener<never>);
    if (set.size === 0) this.#listeners.delete(event);
  }

  /** Subscribes for the next emission only. */
  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const wrapper: Listener<Events[K]> = (payload) => {
      this.off(event, wrapper);
      listener(payload);
    };
    return this.on(event, wrapper);
  }

  /**
   * Calls every listener synchronously, in subscription order. A throwing listener is reported and does
   * not stop the others — nor the library code that emitted (a UI bug must not tear down a call).
   */
  emit<K extends keyof Events>(event: K, ...args: Events[K] extends void ? [payload?: Events[K]] : [payload: Events[K]]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(args[0] as Events[K]);
      } catch (error) {
        console.error(`listener for "${String(event)}" threw:`, error);
      }
    }
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(event?: keyof Events): void {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
  }
}

/** Resolves with the next emission of `event`; rejects after `timeoutMs` (if given). */
export function nextEvent<Events extends object, K extends keyof Events>(emitter: Emitter<Events>, event: K, timeoutMs?: number): Promise<Events[K]> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = emitter.once(event, (payload) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(payload);
    });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for "${String(event)}"`));
      }, timeoutMs);
    }
  });
}
