/**
 * A room: its peers, its router (via RoomMedia), and the fan-out that makes it an SFU — every producer is
 * consumed by every other peer that can receive it. Events of one room only ever reach its own peers.
 */
import type { Logger } from 'pino';
import type { types } from 'mediasoup';
import { ProtocolError, type NotificationData, type NotificationName } from '../../../protocol/src';
import type { RoomLimits } from '../config';
import type { RoomMedia } from '../media/room-media';
import type { Peer, RemovalReason } from './peer';
import { consumeData, consumeProducer } from './consuming';
import { watchSpeakers } from './speakers';

type CloseReason = NotificationData<'roomClosed'>['reason'] | 'empty';

export class Room {
  readonly peers = new Map<string, Peer>();
  /** When the room was opened (the admin API reports it). */
  readonly createdAt = new Date();
  #closed = false;
  #emptyTimer: NodeJS.Timeout | undefined;
  readonly #closeListeners: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly media: RoomMedia,
    readonly limits: RoomLimits,
    readonly log: Logger,
  ) {
    media.onWorkerClose(() => this.close('worker_died'));
    watchSpeakers(media, (method, data) => this.broadcast(undefined, method, data));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get router(): types.Router {
    return this.media.router;
  }

  onClose(listener: () => void): void {
    this.#closeListeners.push(listener);
  }

  add(peer: Peer): void {
    if (this.#closed) throw new ProtocolError('unavailable', `room ${this.name} is closing, join again`);
    if (this.peers.size >= this.limits.maxPeersPerRoom) {
      throw new ProtocolError('room_full', `room ${this.name} is full (${this.limits.maxPeersPerRoom} peers)`);
    }
    clearTimeout(this.#emptyTimer);
    this.#emptyTimer = undefined;
    if (!peer.hidden) this.broadcast(peer, 'peerJoined', { peer: peer.info() });
    this.peers.set(peer.id, peer);
  }

  /** Releases everything the peer owns; an empty room closes after the grace period. */
  remove(peer: Peer): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    peer.close();
    if (!peer.hidden) this.broadcast(peer, 'peerLeft', { peerId: peer.id });
    if (this.peers.size === 0 && !this.#closed) {
      this.#emptyTimer = setTimeout(() => this.close('empty'), this.limits.emptyRoomGraceMs);
    }
  }

  /** Takes a peer out for good: it is told why, its objects are released, its connection is closed. */
  kick(peer: Peer, reason: RemovalReason): void {
    if (this.peers.get(peer.id) !== peer) return;
    peer.notify('removed', { reason });
    this.remove(peer);
    peer.disconnect(reason);
  }

  broadcast<N extends NotificationName>(except: Peer | undefined, method: N, data: NotificationData<N>): void {
    for (const peer of this.peers.values()) if (peer !== except) peer.notify(method, data);
  }

  /** Which peer of this room owns the object — to answer `forbidden` rather than `not_found`. */
  ownerOf(id: string): Peer | undefined {
    for (const peer of this.peers.values()) if (peer.owns(id)) return peer;
    return undefined;
  }

  /** A new producer: every other peer with a receive transport gets a paused consumer. */
  async fanOutProducer(owner: Peer, producer: types.Producer): Promise<void> {
    await Promise.all([...this.peers.values()].filter((peer) => peer !== owner).map((peer) => consumeProducer(this, peer, owner, producer)));
  }

  async fanOutDataProducer(owner: Peer, dataProducer: types.DataProducer): Promise<void> {
    await Promise.all([...this.peers.values()].filter((peer) => peer !== owner).map((peer) => consumeData(this, peer, owner, dataProducer)));
  }

  /** A peer's new receive transport: consume everything already published in the room. */
  async consumeExisting(peer: Peer): Promise<void> {
    const work: Promise<void>[] = [];
    for (const other of this.peers.values()) {
      if (other === peer) continue;
      for (const { producer } of other.producers.values()) work.push(consumeProducer(this, peer, other, producer));
      for (const dataProducer of other.dataProducers.values()) work.push(consumeData(this, peer, other, dataProducer));
    }
    await Promise.all(work);
  }

  close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#emptyTimer);
    this.log.info({ room: this.name, reason, peers: this.peers.size }, 'room closed');
    if (reason !== 'empty') this.broadcast(undefined, 'roomClosed', { reason });
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.media.close();
    for (const listener of this.#closeListeners) listener();
  }
}
