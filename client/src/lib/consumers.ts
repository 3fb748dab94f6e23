/**
 * Auto-consume: the server creates a paused consumer for every remote producer and announces it with
 * `newConsumer`; we create the local consumer, ask the server to resume it (so the first keyframe is
 * sent when we are ready for it), and only then hand the track to the application.
 *
 * Notifications about a consumer can overtake its setup (consumerClosed while consume() is running), so
 * each consumer has an entry from the moment it is announced, and setup re-checks it after every await.
 */
import type { types } from 'mediasoup-client';
import type { NotificationData } from '../../../protocol/src';
import type { Emitter } from './emitter';
import type { RemoteTrack, SessionEvents } from './events';
import type { RoomLink } from './room-link';

interface Entry {
  info: NotificationData<'newConsumer'>;
  link: RoomLink;
  /** The remote producer is paused (the sender muted). */
  paused: boolean;
  consumer: types.Consumer | undefined;
  /** `track` was emitted, so `trackEnded` must be too. */
  announced: boolean;
  closed: boolean;
}

export class RemoteMedia {
  readonly #entries = new Map<string, Entry>();
  /** Setups (consume + resume) still running. */
  readonly #settingUp = new Set<Promise<void>>();
  readonly #events: Pick<Emitter<SessionEvents>, 'emit'>;

  constructor(events: Pick<Emitter<SessionEvents>, 'emit'>) {
    this.#events = events;
  }

  /** The tracks currently announced. */
  tracks(): RemoteTrack[] {
    return [...this.#entries.values()].filter((entry) => entry.announced).map(toRemoteTrack);
  }

  consumer(consumerId: string): types.Consumer | undefined {
    return this.#entries.get(consumerId)?.consumer;
  }

  /** What the server said about the consumer when it announced it. */
  info(consumerId: string): NotificationData<'newConsumer'> | undefined {
    return this.#entries.get(consumerId)?.info;
  }

  /** Sets up a consumer the server announced; the promise never rejects (errors become `error` events). */
  add(link: RoomLink, info: NotificationData<'newConsumer'>): Promise<void> {
    const setup = this.#add(link, info);
    this.#settingUp.add(setup);
    void setup.finally(() => this.#settingUp.delete(setup));
    return setup;
  }

  /** Resolves when every consumer announced so far is set up (or given up), or after `maxMs`. */
  async settled(maxMs: number): Promise<void> {
    if (this.#settingUp.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(this.#settingUp), new Promise((resolve) => (timer = setTimeout(resolve, maxMs)))]);
    clearTimeout(timer);
  }

  async #add(link: RoomLink, info: NotificationData<'newConsumer'>): Promise<void> {
    const { consumerId } = info;
    if (this.#entries.has(consumerId)) return;
    const entry: Entry = { info, link, paused: info.producerPaused, consumer: undefined, announced: false, closed: false };
    this.#entries.set(consumerId, entry);
    const gone = (): boolean => entry.closed || link.closed;
    try {
      entry.consumer = await link.recvTransport.consume({
        id: consumerId,
        producerId: info.producerId,
        kind: info.kind,
        rtpParameters: info.rtpParameters,
        // Browsers lip-sync tracks that share a stream id: a peer's camera with its mic, and its screen
        // with the screen's audio — never the screen with the mic.
        streamId: `${info.peerId}-${info.source.startsWith('screen') ? 'screen' : 'camera'}`,
        appData: { peerId: info.peerId, source: info.source },
      });
      if (gone()) return this.#discard(entry);
      await link.signalling.request('resumeConsumer', { consumerId });
      if (gone()) return this.#discard(entry);
      entry.announced = true;
      this.#events.emit('track', toRemoteTrack(entry));
    } catch (error) {
      const expected = gone();
      this.#discard(entry);
      // A consumer closed or a connection lost mid-setup is not worth reporting; anything else is.
      if (!expected) this.#events.emit('error', { context: `consume ${info.kind} of peer ${info.peerId}`, error: error as Error });
    }
  }

  /** The server closed the consumer (the producer closed, or its peer left). */
  remove(consumerId: string): void {
    const entry = this.#entries.get(consumerId);
    if (entry) this.#end(entry);
  }

  /** The remote producer was paused or resumed. Before the track is announced, only its flag changes. */
  setRemotePaused(consumerId: string, paused: boolean): void {
    const entry = this.#entries.get(consumerId);
    if (!entry || entry.paused === paused) return;
    entry.paused = paused;
    if (entry.announced) this.#events.emit('trackMuted', { consumerId, peerId: entry.info.peerId, muted: paused });
  }

  /** Ends whatever is left of a peer that left (normally the server closed its consumers already). */
  removePeer(peerId: string): void {
    for (const entry of [...this.#entries.values()]) if (entry.info.peerId === peerId) this.#end(entry);
  }

  /** Ends every remote track: the connection is being reset or left. */
  removeAll(): void {
    for (const entry of [...this.#entries.values()]) this.#end(entry);
  }

  #end(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    this.#entries.delete(entry.info.consumerId);
    entry.consumer?.close();
    if (entry.announced) {
      const { consumerId, peerId, kind, source } = entry.info;
      this.#events.emit('trackEnded', { consumerId, peerId, kind, source });
    }
  }

  #discard(entry: Entry): void {
    entry.consumer?.close();
    if (this.#entries.get(entry.info.consumerId) === entry) this.#entries.delete(entry.info.consumerId);
    entry.closed = true;
  }
}

function toRemoteTrack(entry: Entry): RemoteTrack {
  const { consumerId, producerId, peerId, kind, source } = entry.info;
  return { consumerId, producerId, peerId, kind, source, track: entry.consumer!.track, paused: entry.paused };
}
