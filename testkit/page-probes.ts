/**
 * What a test can ask a participant's page: state, remote videos and whether they really play, audio
 * energy, the ICE pair in use. Everything goes through the page's stable automation hooks (data-*
 * attributes, and `globalThis.confero.session` for the browser's own WebRTC stats) and the standard media
 * APIs, not through the app's internals. The probes work in Chromium and Firefox alike.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer';
import { until } from './until';

export interface RemoteVideo {
  peerId: string;
  source: string;
  width: number;
  /**
   * Frames shown so far. Chromium: getVideoPlaybackQuality().totalVideoFrames. Headless Firefox keeps that
   * at 0 while the video plays (and, in Firefox 153, mozDecodedFrames too), so there it is mozPaintedFrames.
   */
  frames: number;
  /** currentTime (s): advances while the video plays, in every browser. */
  time: number;
}

export async function waitJoined(page: Page, timeoutMs = 20_000): Promise<void> {
  await page.waitForSelector('body[data-state="joined"]', { timeout: timeoutMs });
}

export function remoteVideos(page: Page): Promise<RemoteVideo[]> {
  return page.$$eval('video[data-peer-id]', (videos) =>
    (videos as HTMLVideoElement[]).map((v) => ({
      peerId: v.dataset.peerId!,
      source: v.dataset.source!,
      width: v.videoWidth,
      frames: v.getVideoPlaybackQuality().totalVideoFrames || ((v as { mozPaintedFrames?: number }).mozPaintedFrames ?? 0),
      time: v.currentTime,
    })),
  );
}

/** Polls (bounded) until `check` holds for the page's remote videos. */
export async function waitForVideos(page: Page, check: (videos: RemoteVideo[]) => boolean, timeoutMs = 20_000): Promise<RemoteVideo[]> {
  let videos: RemoteVideo[] = [];
  return until(
    async () => {
      videos = await remoteVideos(page);
      return check(videos) && videos;
    },
    { timeoutMs, intervalMs: 250, what: () => `the videos satisfy the check (last: ${JSON.stringify(videos)})` },
  );
}

/** Frames decoded per remote video over `ms`: > 0 means the video is really playing. */
export async function framesAdvancing(page: Page, ms = 1500): Promise<Map<string, number>> {
  const before = await remoteVideos(page);
  await sleep(ms);
  const after = await remoteVideos(page);
  const advanced = new Map<string, number>();
  for (const video of after) {
    const earlier = before.find((b) => b.peerId === video.peerId && b.source === video.source);
    advanced.set(`${video.peerId}:${video.source}`, video.frames - (earlier?.frames ?? 0));
  }
  return advanced;
}

/** Peak amplitude (0…1) of each remote audio element over `ms`, measured with Web Audio in the page. */
export function audioPeaks(page: Page, ms = 2000): Promise<Record<string, number>> {
  return page.evaluate(async (duration) => {
    const context = new AudioContext();
    await context.resume();
    const peaks: Record<string, number> = {};
    const probes = [...document.querySelectorAll<HTMLAudioElement>('audio[data-peer-id]')].map((audio) => {
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(audio.srcObject as MediaStream).connect(analyser);
      return { peerId: audio.dataset.peerId!, analyser, buffer: new Float32Array(analyser.fftSize) };
    });
    const end = performance.now() + duration;
    while (performance.now() < end) {
      for (const probe of probes) {
        probe.analyser.getFloatTimeDomainData(probe.buffer);
        let peak = 0;
        for (const sample of probe.buffer) peak = Math.max(peak, Math.abs(sample));
        peaks[probe.peerId] = Math.max(peaks[probe.peerId] ?? 0, peak);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await context.close();
    return peaks;
  }, ms);
}

/**
 * Waits (bounded) until each named remote video (`peerId:source`) decodes at least `minFrames` new frames.
 * A polling wait rather than a fixed window: a layer switch or a loaded CI machine may pause a video for
 * a moment before the next keyframe, which is not a failure; never advancing is.
 */
export async function waitFramesAdvance(page: Page, keys: string[], minFrames = 5, timeoutMs = 10_000): Promise<void> {
  const frames = async (): Promise<Map<string, number>> => new Map((await remoteVideos(page)).map((v) => [`${v.peerId}:${v.source}`, v.frames]));
  const start = await frames();
  let now = start;
  const lagging = (): string[] => keys.filter((key) => (now.get(key) ?? 0) - (start.get(key) ?? 0) < minFrames);
  await until(
    async () => {
      now = await frames();
      return lagging().length === 0;
    },
    { timeoutMs, intervalMs: 200, what: () => `new frames for ${lagging().join(', ')} (${JSON.stringify([...now])})` },
  );
}

/**
 * Waits (bounded) until each named remote video (`peerId:source`) has a size and its currentTime has
 * advanced by `minSeconds` since it was first seen with one — "playing" in a way that holds in Chromium
 * and Firefox alike. Resolves with when (Date.now()) each first had a size and a running clock.
 */
export async function waitVideoPlaying(page: Page, keys: string[], minSeconds = 0.5, timeoutMs = 20_000): Promise<Map<string, number>> {
  const firstPlaying = new Map<string, { at: number; time: number }>();
  let videos = new Map<string, RemoteVideo>();
  const lagging = (): string[] =>
    keys.filter((key) => {
      const first = firstPlaying.get(key);
      return !first || (videos.get(key)?.time ?? 0) - first.time < minSeconds;
    });
  await until(
    async () => {
      videos = new Map((await remoteVideos(page)).map((v) => [`${v.peerId}:${v.source}`, v]));
      const now = Date.now();
      for (const key of keys) {
        const video = videos.get(key);
        if (video && video.width > 0 && video.time > 0 && !firstPlaying.has(key)) firstPlaying.set(key, { at: now, time: video.time });
      }
      return lagging().length === 0;
    },
    { timeoutMs, intervalMs: 100, what: () => `playing: ${lagging().join(', ')} (${JSON.stringify([...videos.values()])})` },
  );
  return new Map([...firstPlaying].map(([key, { at }]) => [key, at]));
}

export interface CandidateInfo {
  protocol: string;
  candidateType: string;
  address: string;
  port: number;
  tcpType?: string;
  /** Relay candidates only: how the browser reaches its TURN server ('udp', 'tcp' or 'tls'). */
  relayProtocol?: string;
  /** Relay candidates only: the TURN URL the candidate came from (Chromium reports it). */
  url?: string;
}

export interface SelectedPair {
  /** The stats source's label, e.g. `me · webcam` or `Ada · webcam`. */
  label: string;
  state: string;
  local: CandidateInfo;
  remote: CandidateInfo;
}

/**
 * The ICE candidate pair each of the page's producers and consumers runs over, from the browser's own
 * RTCStatsReports (through the session the call view exposes as `globalThis.confero` for tests and
 * bots). The transport's selectedCandidatePairId where the browser reports it, else the nominated
 * succeeded pair.
 */
export function selectedCandidatePairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(async () => {
    type Stat = Record<string, unknown> & { id: string; type: string };
    const session = (globalThis as { confero?: { session?: { statsSources(): { label: string; getStats(): Promise<RTCStatsReport> }[] } } }).confero?.session;
    if (!session) throw new Error('no globalThis.confero.session on this page');
    const pick = (s: Stat | undefined) => ({
      protocol: String(s?.protocol ?? ''),
      candidateType: String(s?.candidateType ?? ''),
      address: String(s?.address ?? s?.ip ?? ''),
      port: Number(s?.port ?? 0),
      ...(s?.tcpType ? { tcpType: String(s.tcpType) } : {}),
      ...(s?.relayProtocol ? { relayProtocol: String(s.relayProtocol) } : {}),
      ...(s?.url ? { url: String(s.url) } : {}),
    });
    const out = [];
    for (const source of session.statsSources()) {
      const stats = new Map<string, Stat>();
      (await source.getStats()).forEach((s: Stat) => stats.set(s.id, s));
      const all = [...stats.values()];
      const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair =
        (transport && stats.get(String(transport.selectedCandidatePairId))) ??
        all.find((s) => s.type === 'candidate-pair' && (s.selected || s.nominated) && s.state === 'succeeded');
      if (!pair) continue;
      out.push({
        label: source.label,
        state: String(pair.state),
        local: pick(stats.get(String(pair.localCandidateId))),
        remote: pick(stats.get(String(pair.remoteCandidateId))),
      });
    }
    return out;
  });
}

/**
 * selectedCandidatePairs once every pair has settled: a selected pair can read 'in-progress' for a moment
 * (a connectivity check outstanding on a loaded machine). Bounded: after `timeoutMs` it returns what it
 * has and the caller's assertions say what was not settled.
 */
export async function settledCandidatePairs(page: Page, timeoutMs = 15_000): Promise<SelectedPair[]> {
  let pairs: SelectedPair[] = [];
  // Not settled in time is no error here: the caller's assertions say which pair was not.
  await until(
    async () => {
      pairs = await selectedCandidatePairs(page);
      return pairs.every((p) => p.state === 'succeeded');
    },
    { timeoutMs, intervalMs: 250 },
  ).catch(() => undefined);
  return pairs;
}
