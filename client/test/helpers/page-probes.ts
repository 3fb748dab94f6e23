/**
 * What a test can ask a participant's page: state, remote videos and whether they really play, audio
 * energy. Everything goes through the page's stable automation hooks (data-* attributes) and the
 * standard media APIs, not through the app's internals.
 */
import type { Page } from 'puppeteer-core';

export interface RemoteVideo {
  peerId: string;
  source: string;
  width: number;
  frames: number;
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
      frames: v.getVideoPlaybackQuality().totalVideoFrames,
    })),
  );
}

/** Polls (bounded) until `check` holds for the page's remote videos. */
export async function waitForVideos(page: Page, check: (videos: RemoteVideo[]) => boolean, timeoutMs = 20_000): Promise<RemoteVideo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const videos = await remoteVideos(page);
    if (check(videos)) return videos;
    if (Date.now() > deadline) throw new Error(`videos never satisfied the check: ${JSON.stringify(videos)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Frames decoded per remote video over `ms`: > 0 means the video is really playing. */
export async function framesAdvancing(page: Page, ms = 1500): Promise<Map<string, number>> {
  const before = await remoteVideos(page);
  await new Promise((resolve) => setTimeout(resolve, ms));
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
  const frames = async (): Promise<Map<string, number>> =>
    new Map((await remoteVideos(page)).map((v) => [`${v.peerId}:${v.source}`, v.frames]));
  const start = await frames();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await frames();
    const lagging = keys.filter((key) => (now.get(key) ?? 0) - (start.get(key) ?? 0) < minFrames);
    if (lagging.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`no new frames for ${lagging.join(', ')} within ${timeoutMs} ms (${JSON.stringify([...now])})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
