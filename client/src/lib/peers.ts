/**
 * The other peers in the room: seeded by the join response, kept current by peerJoined/peerLeft.
 * Every change emits the incremental event and then the full list, so a UI can use either style.
 */
import type { PeerInfo } from '../../../protocol/src';
import type { Emitter } from './emitter';
import type { RemotePeer, SessionEvents } from './events';

export class PeerList {
  readonly #peers = new Map<string, RemotePeer>();
  readonly #events: Pick<Emitter<SessionEvents>, 'emit'>;

  constructor(events: Pick<Emitter<SessionEvents>, 'emit'>) {
    this.#events = events;
  }

  list(): RemotePeer[] {
    return [...this.#peers.values()].map((peer) => ({ ...peer }));
  }

  get(peerId: string): RemotePeer | undefined {
    return this.#peers.get(peerId);
  }

  add(info: PeerInfo): void {
    if (this.#peers.has(info.id)) return;
    const peer = { id: info.id, displayName: info.displayName };
    this.#peers.set(peer.id, peer);
    this.#events.emit('peerJoined', { ...peer });
    this.#events.emit('peers', this.list());
  }

  remove(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    this.#events.emit('peerLeft', { ...peer });
    this.#events.emit('peers', this.list());
  }

  /**
   * Replaces the list (after a (re)join, or with [] on leave). Peer ids are per membership, so after a
   * rejoin the same person usually has a new id: they leave under the old one and join under the new.
   */
  replaceAll(infos: PeerInfo[]): void {
    const next = new Map(infos.map((info) => [info.id, { id: info.id, displayName: info.displayName }]));
    const left = [...this.#peers.values()].filter((peer) => !next.has(peer.id));
    const joined = [...next.values()].filter((peer) => !this.#peers.has(peer.id));
    this.#peers.clear();
    for (const [id, peer] of next) this.#peers.set(id, peer);
    for (const peer of left) this.#events.emit('peerLeft', { ...peer });
    for (const peer of joined) this.#events.emit('peerJoined', { ...peer });
    this.#events.emit('peers', this.list());
  }
}
