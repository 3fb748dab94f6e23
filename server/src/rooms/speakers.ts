/** Active speaker and audio levels of a room, from mediasoup's observers, as notifications to all. */
import type { RoomMedia } from '../media/room-media';
import type { ProducerAppData } from './consuming';
import type { Notify } from './peer';

/** `tellEveryone` sends to every peer of the room (the Room passes its broadcast; it is not imported here). */
export function watchSpeakers({ activeSpeaker, audioLevels }: Pick<RoomMedia, 'activeSpeaker' | 'audioLevels'>, tellEveryone: Notify): void {
  activeSpeaker.on('dominantspeaker', ({ producer }) => {
    const { peerId } = producer.appData as ProducerAppData;
    tellEveryone('activeSpeaker', { peerId, producerId: producer.id });
  });
  audioLevels.on('volumes', (volumes) => {
    tellEveryone('audioLevels', {
      levels: volumes.map(({ producer, volume }) => ({ peerId: (producer.appData as ProducerAppData).peerId, producerId: producer.id, volume })),
    });
  });
  audioLevels.on('silence', () => tellEveryone('audioLevels', { levels: [] }));
}
