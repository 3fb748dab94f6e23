/**
 * One participant: identity, the capabilities it can receive, and every mediasoup object it owns.
 * Ownership is structural: a peer's handlers only ever look objects up in its own maps, so another peer's
 * id is simply not found here (the room tells `forbidden` apart from `not_found`).
 */
import type { types } from 'mediasoup';
import type { MediaSource, NotificationName, NotificationData, ProducerInfo, PeerInfo } from '../../../protocol/src';
import type { MediaTransport } from '../media/room-media';
import { OPEN_ACCESS, type PeerAccess } from './access';

export type Notify = <N extends NotificationName>(method: N, data: NotificationData<N>) => void;

export type RemovalReason = NotificationData<'removed'>['reason'];
/** Ends the peer's signalling connection (after it was told why): wired by the session to its socket. */
export type Disconnect = (reason: RemovalReason) => void;

export interface OwnedProducer {
  producer: types.Producer;
  source: MediaSource;
}

/** The protocol's view of a producer: what peers are told of it and what the admin API lists. */
export function producerInfo({ producer, source }: OwnedProducer): ProducerInfo {
  return { id: producer.id, kind: producer.kind, source, paused: producer.paused };
}

export class Peer {
  readonly transports = new Map<string, MediaTransport>();
  readonly producers = new Map<string, OwnedProducer>();
  readonly consumers = new Map<string, types.Consumer>();
  readonly dataProducers = new Map<string, types.DataProducer>();
  readonly dataConsumers = new Map<string, types.DataConsumer>();
  #closed = false;

  constructor(
    readonly id: string,
    readonly displayName: string,
    readonly rtpCapabilities: types.RtpCapabilities,
    readonly notify: Notify,
    readonly disconnect: Disconnect = () => undefined,
    /** What it may do (its token's grants); everything in open mode. */
    readonly access: PeerAccess = OPEN_ACCESS,
  ) {}

  /** The token's identity; in open mode every peer is its own. */
  get identity(): string {
    return this.access.identity ?? this.id;
  }

  /** Not announced to the others (no peerJoined/peerLeft, not in their lists). */
  get hidden(): boolean {
    return this.access.hidden;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The peer's transport of that direction, if it made one. */
  transportFor(direction: 'send' | 'recv'): MediaTransport | undefined {
    for (const transport of this.transports.values()) if (transport.appData.direction === direction) return transport;
    return undefined;
  }

  /** Does this peer own an object with that id, of any kind? */
  owns(id: string): boolean {
    return this.transports.has(id) || this.producers.has(id) || this.consumers.has(id) || this.dataProducers.has(id) || this.dataConsumers.has(id);
  }

  info(): PeerInfo {
    return { id: this.id, identity: this.identity, displayName: this.displayName, producers: this.producerInfos() };
  }

  producerInfos(): ProducerInfo[] {
    return [...this.producers.values()].map(producerInfo);
  }

  /** Closing the transports closes every producer, consumer and data channel on them. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
    this.dataProducers.clear();
    this.dataConsumers.clear();
  }
}
