/**
 * One joiner's time to first frame, and a burst of joiners at a given rate.
 *
 * A joiner is a load-test bot: a browser bot (the real page in Chromium; its probe notes, on the page's
 * own clock, when the signalling socket opened and when each remote video's first frame was presented —
 * requestVideoFrameCallback) or a sim bot (Node WebRTC; socket open and first RTP packet of each remote
 * stream). TTFF is socket open → the first video of one of the room's publishers. A joiner leaves as soon
 * as it has it, so only a few Chromium pages are ever open at once.
 */
import type { Bot, BotFactory, BotSnapshot } from '../../../loadtest/src/bots/types';
import { setTimeout as sleep } from 'node:timers/promises';

export type JoinerKind = 'browser' | 'sim';

export interface JoinSample {
  kind: JoinerKind;
  name: string;
  /** Socket open → first remote video frame (browser) or first RTP packet of a remote video (sim). */
  ttffMs?: number;
  /** Socket open → join answered (where the bot knows it): the rest is transports and consumers. */
  joinMs?: number;
  error?: string;
}

export interface JoinerSettings {
  url: string;
  room: string;
  /** Peer ids of the room's publishers: only their video counts as the first frame. */
  publisherIds: () => string[];
  timeoutMs: number;
}

const POLL_MS = 50;
const PREPARED_SETTLE_MS = 3_000;

export async function measureJoiner(bot: Bot, kind: JoinerKind, settings: JoinerSettings): Promise<JoinSample> {
  const sample: JoinSample = { kind, name: bot.spec.name };
  const deadline = Date.now() + settings.timeoutMs;
  let startError: string | undefined;
  const started = bot.start().catch((error: unknown) => {
    startError = error instanceof Error ? error.message : String(error);
  });
  try {
    for (;;) {
      const snapshot = bot.snapshot();
      const first = firstPublisherVideo(snapshot, settings.publisherIds());
      if (first !== undefined && snapshot.wsOpenAt !== undefined) {
        sample.ttffMs = first - snapshot.wsOpenAt;
        if (snapshot.joinedAt !== undefined) sample.joinMs = snapshot.joinedAt - snapshot.wsOpenAt;
        return sample;
      }
      if (startError !== undefined || snapshot.state === 'failed') {
        sample.error = startError ?? snapshot.error ?? 'failed';
        return sample;
      }
      if (Date.now() > deadline) {
        sample.error = `no remote video within ${settings.timeoutMs} ms (state ${snapshot.state})`;
        return sample;
      }
      await sleep(POLL_MS);
    }
  } finally {
    // Leave in the background: the next joins must not wait for this one's goodbye.
    void started.then(() => bot.close());
  }
}

function firstPublisherVideo(snapshot: BotSnapshot, publisherIds: string[]): number | undefined {
  let first: number | undefined;
  for (const s of snapshot.streams) {
    if (s.kind !== 'video' || s.firstAt === undefined || !publisherIds.includes(s.peerId)) continue;
    if (first === undefined || s.firstAt < first) first = s.firstAt;
  }
  return first;
}

export interface BurstPlan {
  joinsPerSec: number;
  joins: number;
  /** Every `browserEvery`-th join is a browser page, the others sim bots. */
  browserEvery: number;
}

/** Starts `plan.joins` joiners at the plan's rate, alternating kinds, and waits for every one's outcome. */
export async function runBurst(plan: BurstPlan, factories: Record<JoinerKind, BotFactory>, settings: JoinerSettings, label: string): Promise<JoinSample[]> {
  const joiners = Array.from({ length: plan.joins }, (_, i) => {
    const kind: JoinerKind = i % plan.browserEvery === 0 ? 'browser' : 'sim';
    const bot = factories[kind].create({
      url: settings.url,
      room: settings.room,
      name: `${label}-${kind}-${i}`,
      // Joiners only watch: a camera and its encoder per joining page would make the 2 cores, not the
      // join path, what is measured (the page still runs its whole join, chat channel included).
      publish: null,
    });
    return { kind, bot };
  });
  // Every page is open at its join form before the first join, as people who opened the link and are
  // about to press Join: a page's load (a renderer, the app's scripts) is not the join path, and a burst
  // of loads would saturate 2 cores and time them instead. A page that could not open fails its join.
  await Promise.allSettled(joiners.map(({ bot }) => bot.prepare?.()));
  // Loading 20 pages keeps the 2 cores busy for a few seconds after the last one reports ready (scripts,
  // WebRTC capabilities, first layout): the joins start once that is over, as they would for people who
  // opened the link a while ago, instead of timing the other pages' loading.
  if (joiners.some(({ bot }) => bot.prepare)) await sleep(PREPARED_SETTLE_MS);
  const intervalMs = 1000 / plan.joinsPerSec;
  const t0 = performance.now();
  const running: Promise<JoinSample>[] = [];
  for (const [i, { kind, bot }] of joiners.entries()) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    running.push(measureJoiner(bot, kind, settings));
  }
  return Promise.all(running);
}
