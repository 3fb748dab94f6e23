/**
 * The two publishers (camera and microphone) of a TTFF room, for the bench and the join tracer alike.
 * 'sim': sim bots sending recorded VP8/Opus (real media Chromium decodes; a keyframe at their next frame
 * when asked, as an encoder answers a PLI) — what the bench measures beside, so that the joins time the
 * join path and not two software encoders on the same cores. 'browser': publishing Chromium pages.
 */
import { createBrowserBotFactory } from '../../../loadtest/src/bots/browser';
import { createSimBotFactory } from '../../../loadtest/src/bots/sim';
import type { BotFactory } from '../../../loadtest/src/bots/types';
import { setTimeout as sleep } from 'node:timers/promises';

export type PublisherKind = 'sim' | 'browser';

export function createPublisherFactory(kind: PublisherKind, log: (line: string) => void): BotFactory {
  return kind === 'browser'
    ? createBrowserBotFactory({ botsPerBrowser: 2, log, joinTimeoutMs: 30_000, pollIntervalMs: 1_000 })
    : createSimBotFactory({ log, media: 'recorded' });
}

export interface PublishedRoom {
  /** The publishers' peer ids (once joined): only their video counts as a joiner's first frame. */
  publisherIds: () => string[];
  /** The publishers leave (never rejects). */
  leave: () => Promise<void>;
}

/** Two publishers in `room`, started, and given 2 s for their cameras' first frames before anyone is timed. */
export async function startRoom(factory: BotFactory, url: string, room: string): Promise<PublishedRoom> {
  const publishers = [0, 1].map((i) => factory.create({ url, room, name: `publisher-${i}`, publish: { audio: true, video: true, simulcast: false } }));
  await Promise.all(publishers.map((p) => p.start()));
  await sleep(2_000);
  return {
    publisherIds: () => publishers.map((p) => p.snapshot().peerId).filter((id): id is string => id !== undefined),
    leave: async () => void (await Promise.allSettled(publishers.map((p) => p.close()))),
  };
}
