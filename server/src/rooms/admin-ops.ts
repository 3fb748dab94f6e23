/**
 * What the admin API may do to a room, as room-layer operations: plain snapshots of a room and its peers,
 * and the server-side mute. The HTTP edge (server/src/admin) only calls these and Room.kick/close; it never
 * reaches into mediasoup objects itself.
 */
import type { PeerSummary, ProducerInfo, RoomSummary } from '../../../protocol/src';
import { producerInfo, type Peer } from './peer';
import type { Room } from './room';

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
    createdAt: room.createdAt.toISOString(),
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
  return producerInfo(owned);
}
