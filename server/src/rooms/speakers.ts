/** Active speaker and audio levels of a room, from mediasoup's observers, as notifications to all. */
import type { Room } from './room';
import type { ProducerAppData } from './consuming';

export function watchSpeakers(room: Room): void {
  const { activeSpeaker, audioLevels } = room.media;
  activeSpeaker.on('dominantspeaker', ({ producer }) => {
    const { peerId } = producer.appData as ProducerAppData;
    room.broadcast(undefined, 'activeSpeaker', { peerId, producerId: producer.id });
  });
  audioLevels.on('volumes', (volumes) => {
    room.broadcast(undefined, 'audioLevels', {
      levels: volumes.map(({ producer, volume }) => ({ peerId: (producer.appData as ProducerAppData).peerId, producerId: producer.id, volume })),
    });
  });
  audioLevels.on('silence', () => room.broadcast(undefined, 'audioLevels', { levels: [] }));
}
