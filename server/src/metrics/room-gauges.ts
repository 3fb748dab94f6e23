/**
 * Gauges of what the rooms hold — rooms, peers, transports, producers and consumers by kind — computed
 * at scrape time from the room directory, so they can never drift from the truth the way inc/dec
 * bookkeeping on every code path could.
 */
import { Gauge, type Registry } from 'prom-client';
import type { RoomDirectory } from '../rooms/room-directory';

type MediaKind = 'audio' | 'video';

interface RoomCounts {
  rooms: number;
  peers: number;
  transports: number;
  producers: Record<MediaKind, number>;
  consumers: Record<MediaKind, number>;
}

/** One pass over the open rooms (those in their empty-room grace period included: they still hold a router). */
export function countRoomObjects(directory: RoomDirectory): RoomCounts {
  const counts: RoomCounts = { rooms: 0, peers: 0, transports: 0, producers: { audio: 0, video: 0 }, consumers: { audio: 0, video: 0 } };
  for (const room of directory.list()) {
    if (room.closed) continue;
    counts.rooms++;
    for (const peer of room.peers.values()) {
      counts.peers++;
      counts.transports += peer.transports.size;
      for (const { producer } of peer.producers.values()) counts.producers[producer.kind]++;
      for (const consumer of peer.consumers.values()) counts.consumers[consumer.kind]++;
    }
  }
  return counts;
}

export function registerRoomGauges(registry: Registry, directory: RoomDirectory): void {
  const plain = (name: string, help: string, pick: (counts: RoomCounts) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(countRoomObjects(directory)));
      },
    });
  };
  plain('confero_rooms', 'Open rooms (including empty ones in their grace period).', (c) => c.rooms);
  plain('confero_peers', 'Peers joined to a room.', (c) => c.peers);
  plain('confero_transports', 'WebRTC and plain transports of joined peers.', (c) => c.transports);

  const byKind = (name: string, help: string, pick: (counts: RoomCounts) => Record<MediaKind, number>): void => {
    new Gauge({
      name,
      help,
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        const counts = pick(countRoomObjects(directory));
        // Both kinds always present, so a dashboard sees 0 rather than a missing series.
        for (const kind of ['audio', 'video'] as const) this.set({ kind }, counts[kind]);
      },
    });
  };
  byKind('confero_producers', 'Audio/video producers (published tracks), by kind.', (c) => c.producers);
  byKind('confero_consumers', 'Audio/video consumers (forwarded tracks), by kind.', (c) => c.consumers);
}
