/**
 * Whether media (ICE) gets through, as one state for the whole call: the signalling WebSocket can be fine
 * while UDP and TCP to the media ports are blocked, and then a user sees black tiles and no reason. This
 * watches both transports of a membership and reports 'failed' when one fails ICE on every path or stays
 * stuck connecting, with what a user or operator can act on: was TURN offered, was relay forced.
 */
import type { types } from 'mediasoup-client';
import type { IceServer } from '../../../protocol/src';

export type MediaConnectivityState = 'connecting' | 'connected' | 'failed';

export interface MediaConnectivity {
  state: MediaConnectivityState;
  /** The TURN URLs the server gave us (a relay path existed to try); empty when none. */
  turnUrls: string[];
  /** Only relay candidates were allowed (?relay=1 / forceRelay). */
  relayOnly: boolean;
}

/** A transport still not connected this long after ICE started is as good as failed, for the user. */
export const ICE_STUCK_MS = 15_000;

export function turnUrlsOf(iceServers: IceServer[]): string[] {
  return iceServers.flatMap((server) => [server.urls].flat()).filter((url) => /^turns?:/.test(url));
}

export class MediaConnectivityWatch {
  readonly #report: (value: MediaConnectivity) => void;
  readonly #base: Omit<MediaConnectivity, 'state'>;
  readonly #states = new Map<types.Transport, types.ConnectionState>();
  readonly #timers = new Map<types.Transport, ReturnType<typeof setTimeout>>();
  #last: MediaConnectivityState | undefined;
  #closed = false;

  constructor(options: { iceServers: IceServer[]; relayOnly: boolean }, report: (value: MediaConnectivity) => void) {
    this.#report = report;
    this.#base = { turnUrls: turnUrlsOf(options.iceServers), relayOnly: options.relayOnly };
  }

  watch(transport: types.Transport): void {
    const onState = (state: types.ConnectionState): void => {
      if (this.#closed) return;
      this.#states.set(transport, state);
      clearTimeout(this.#timers.get(transport));
      // ICE only starts when the transport carries something; from then on it has ICE_STUCK_MS.
      if (state === 'connecting' || state === 'disconnected') {
        this.#timers.set(
          transport,
          setTimeout(() => this.#stuck(transport), ICE_STUCK_MS),
        );
      }
      this.#update();
    };
    transport.on('connectionstatechange', onState);
    transport.observer.once('close', () => {
      clearTimeout(this.#timers.get(transport));
      this.#states.delete(transport);
    });
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #stuck(transport: types.Transport): void {
    if (this.#closed || this.#states.get(transport) === 'connected') return;
    this.#states.set(transport, 'failed');
    this.#update();
  }

  #update(): void {
    const states = [...this.#states.values()];
    const state: MediaConnectivityState = states.includes('failed')
      ? 'failed'
      : states.length > 0 && states.every((s) => s === 'connected' || s === 'new')
        ? 'connected'
        : 'connecting';
    if (state === this.#last || (state === 'connected' && !states.includes('connected'))) return;
    this.#last = state;
    this.#report({ state, ...this.#base });
  }
}
