/**
 * What the admin API may do to a room, as room-layer operations: plain snapshots of a room and its peers,
 * and the server-side mute. The HTTP edge (server/src/admin) only calls these and Room.kick/close; it never
 * reaches into mediasoup objects itself.
 */
import type { ProducerInfo } from '../../../protocol/src';
import type { Peer } from './peer';
import type { Room } from './room';

export interface RoomSummary {
  name: string;
  peers: number;
  producers: number;
  consumers: number;
  worker: { index: number; pid: number };
  createdAt: Date;
}

export interface PeerSummary {
  id: string;
  /** The identity of the peer's join token, when it joined with one. */
  identity?: string;
  displayName: string;
  /** Joined with the `hidden` grant: the other peers do not see it, the admin API does. */
  hidden: boolean;
  producers: ProducerInfo[];
  consumers: number;
}

export function summarizeRoom(room: Room): RoomSummary {
  let producers = 0;
  let consumers = 0;
  for (const peer of room.peers.values()) {
    producers += peer.producers.size;
    consumers += peer.consumers.size;
  }
  return {
    name: room.name,
    peers: room.peers.size,
    producers,
    consumers,
    worker: { index: room.media.workerIndex, pid: room.media.slot.worker.pid },
    createdAt: room.createdAt,
  };
}

export function describePeers(room: Room): PeerSummary[] {
  return [...room.peers.values()].map((peer) => {
    const { identity } = peer.access;
    return {
      id: peer.id,
      ...(identity !== undefined ? { identity } : {}),
      displayName: peer.displayName,
      hidden: peer.hidden,
      producers: peer.producerInfos(),
      consumers: peer.consumers.size,
    };
  });
}

/**
 * Pauses (muted) or resumes one of the peer's producers on the server and tells its owner with
 * `producerMuted`. The other peers hear it the usual way: their consumers emit producerpause/resume,
 * which consuming.ts turns into consumerPaused/consumerResumed. Undefined when the peer has no such
 * producer (or it closed meanwhile).
 */
export async function setProducerMuted(peer: Peer, producerId: string, muted: boolean): Promise<ProducerInfo | undefined> {
  const owned = peer.producers.get(producerId);
  if (!owned || peer.closed) return undefined;
  const { producer } = owned;
  try {
    if (muted) await producer.pause();
    else await producer.resume();
  } catch (error) {
    if (producer.closed || peer.closed) return undefined;
    throw error;
  }
  // The owner is told even when the state did not change: its client then shows what the admin decided.
  peer.notify('producerMuted', { producerId, muted });
  return { id: producer.id, kind: producer.kind, source: owned.source, paused: producer.paused };
}
