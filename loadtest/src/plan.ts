/** Which bots a run starts, in which rooms, in what order. */
import { randomBytes } from 'node:crypto';
import type { BotSpec } from './bots/types';
import type { LoadTestOptions } from './options';

export interface PlannedBot {
  spec: BotSpec;
  roomIndex: number;
  publisher: boolean;
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

export function roomName(runId: string, roomIndex: number): string {
  return `load-${runId}-r${roomIndex}`;
}

type PlanOptions = Pick<LoadTestOptions, 'wsUrl' | 'rooms' | 'peersPerRoom' | 'publishersPerRoom' | 'audio' | 'video' | 'simulcast'>;

/**
 * Bots `r<i>-b<j>`; in each room b0… are the publishers. The order interleaves rooms (r0-b0, r1-b0,
 * r0-b1, …) so rooms fill evenly during the ramp and every room gets its publishers before its
 * subscribers: subscribers then measure the time to media that is already flowing.
 */
export function planBots(options: PlanOptions, runId: string): PlannedBot[] {
  const bots: PlannedBot[] = [];
  for (let j = 0; j < options.peersPerRoom; j++) {
    for (let i = 0; i < options.rooms; i++) {
      const publisher = j < options.publishersPerRoom;
      bots.push({
        roomIndex: i,
        publisher,
        spec: {
          url: options.wsUrl,
          room: roomName(runId, i),
          name: `r${i}-b${j}`,
          publish: publisher ? { audio: options.audio, video: options.video, simulcast: options.video && options.simulcast } : null,
        },
      });
    }
  }
  return bots;
}
