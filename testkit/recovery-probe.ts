/**
 * Measures a call's recovery from a page: when does every page show frames again after something broke
 * (a worker SIGKILL)? Each page records, with its own Date.now() (the same clock as the test's: one
 * machine), the session's events that make up a recovery — roomClosed, reconnecting, joined, media
 * connected, tracks — and polls its remote videos every 50 ms, so the figures do not carry the polling
 * delay of the test process. Used by the worker-crash e2e test and by bench/worker-crash.ts.
 */
import type { Page } from 'puppeteer';
import { until } from './until';

/** Frames a fresh remote video must have shown to count as advancing (more than one keyframe). */
export const FRAMES_ADVANCING = 3;

export interface TimelineEvent {
  at: number;
  what: string;
}

export interface PageRecovery {
  /** When (Date.now()) every expected fresh remote webcam had shown FRAMES_ADVANCING frames. */
  recoveredAt: number;
  /** The session's events since the arming, in order. */
  timeline: TimelineEvent[];
}

interface ProbeState {
  timeline: TimelineEvent[];
  armedAt: number;
  stale: string[];
  expected: number;
  recoveredAt: number | undefined;
  firstFrameLogged: string[];
  timer: number | undefined;
}

/**
 * Starts recording on `page`: from now on, recovery means `expected` remote webcam videos of peers not in
 * `stalePeerIds` (every membership gets a new peer id) each showing FRAMES_ADVANCING frames.
 */
export async function armRecoveryProbe(page: Page, stalePeerIds: string[], expected: number): Promise<void> {
  // tsx (esbuild's keepNames) wraps named functions in __name(); the page has no such helper.
  await page.evaluate('globalThis.__name ??= (f) => f');
  await page.evaluate(
    (stale, count, framesNeeded) => {
      type Session = { on(event: string, listener: (payload: never) => void): () => void };
      const g = globalThis as unknown as { confero?: { session?: Session }; __recoveryProbe?: ProbeState; __recoveryOff?: (() => void)[] };
      const session = g.confero?.session;
      if (!session) throw new Error('no globalThis.confero.session on this page');
      for (const off of g.__recoveryOff ?? []) off();
      if (g.__recoveryProbe?.timer !== undefined) clearInterval(g.__recoveryProbe.timer);
      const state: ProbeState = { timeline: [], armedAt: Date.now(), stale, expected: count, recoveredAt: undefined, firstFrameLogged: [], timer: undefined };
      g.__recoveryProbe = state;
      const log = (what: string): void => void state.timeline.push({ at: Date.now(), what });
      g.__recoveryOff = [
        session.on('notification', (n: { method: string; data: { reason?: string } }) => {
          if (n.method === 'roomClosed') log(`roomClosed ${n.data.reason}`);
        }),
        session.on('connectionState', (s: string) => log(`state ${s}`)),
        session.on('joined', () => log('joined')),
        session.on('media', (m: { state: string }) => log(`media ${m.state}`)),
        session.on('track', (t: { kind: string; source: string }) => log(`track ${t.kind} ${t.source}`)),
      ];
      state.timer = setInterval(() => {
        const fresh = [...document.querySelectorAll<HTMLVideoElement>('video[data-peer-id][data-source="webcam"]')].filter(
          (v) => !stale.includes(v.dataset.peerId!),
        );
        for (const video of fresh) {
          const key = video.dataset.peerId!;
          if (video.getVideoPlaybackQuality().totalVideoFrames > 0 && !state.firstFrameLogged.includes(key)) {
            state.firstFrameLogged.push(key);
            log(`first frame ${key.slice(0, 8)}`);
          }
        }
        const advancing = fresh.filter((v) => v.getVideoPlaybackQuality().totalVideoFrames >= framesNeeded);
        if (advancing.length >= count && state.recoveredAt === undefined) {
          state.recoveredAt = Date.now();
          log('frames advancing');
          clearInterval(state.timer);
        }
      }, 50) as unknown as number;
    },
    stalePeerIds,
    expected,
    FRAMES_ADVANCING,
  );
}

/** Waits (bounded) until the armed probe saw recovery; the error carries the page's timeline. */
export async function waitRecovered(page: Page, timeoutMs: number): Promise<PageRecovery> {
  const read = (): Promise<{ recoveredAt: number | undefined; timeline: TimelineEvent[] }> =>
    page.evaluate(() => {
      const probe = (globalThis as unknown as { __recoveryProbe?: ProbeState }).__recoveryProbe;
      if (!probe) throw new Error('armRecoveryProbe was not called on this page');
      return { recoveredAt: probe.recoveredAt, timeline: probe.timeline };
    });
  let last: TimelineEvent[] = [];
  return until(
    async () => {
      const { recoveredAt, timeline } = await read();
      last = timeline;
      return recoveredAt !== undefined && { recoveredAt, timeline };
    },
    { timeoutMs, intervalMs: 100, what: () => `a fresh remote video advances; page timeline: ${formatTimeline(last, last[0]?.at ?? 0)}` },
  );
}

/** "+12 roomClosed worker_died, +260 state reconnecting, …" relative to `origin` (ms). */
export function formatTimeline(timeline: TimelineEvent[], origin: number): string {
  return timeline.map((e) => `+${e.at - origin} ${e.what}`).join(', ');
}

/** The peer id a page currently holds (body[data-peer-id], set by the call view). */
export function pagePeerId(page: Page): Promise<string> {
  return page.$eval('body', (b) => (b as HTMLElement).dataset.peerId!);
}
