/**
 * Sim bots with recorded media: the VP8 and Opus clips are encoded once by Chromium's WebCodecs and
 * cached, and a browser in the room decodes what a sim bot sends — which it cannot with synthetic filler
 * (the control case here). Real server, real mediasoup workers, Debian's Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../../testkit/server';
import { createBrowserBotFactory, type BrowserBotFactory } from '../src/bots/browser';
import { createSimBotFactory, type SimBotFactory } from '../src/bots/sim';
import { loadRecordedMedia } from '../src/bots/sim/recorded-media';
import type { Bot, BotSnapshot } from '../src/bots/types';
import { until } from '../../testkit/until';

const LAYER = { width: 320, height: 180, bitrate: 150_000 };

describe('recorded media clips', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-recorded-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are real VP8 (one keyframe, then delta frames of the right size) and Opus, encoded once and cached', async () => {
    const lines: string[] = [];
    const media = await loadRecordedMedia([LAYER], (line) => lines.push(line), dir);
    expect(lines.filter((l) => l.includes('encoding'))).toHaveLength(1);

    const video = media.video.get('320x180')!;
    expect(video).toHaveLength(60);
    expect(video.map((f) => f.key)).toEqual([true, ...Array<boolean>(59).fill(false)]);
    for (const [i, frame] of video.entries()) {
      // RFC 6386 §9.1 frame tag: bit 0 is "not a keyframe", bit 4 "show frame".
      expect(frame.data[0]! & 1, `frame ${i}`).toBe(frame.key ? 0 : 1);
      expect(frame.data[0]! & 0x10, `frame ${i}`).toBe(0x10);
    }
    const key = video[0]!.data;
    expect([...key.subarray(3, 6)]).toEqual([0x9d, 0x01, 0x2a]); // keyframe start code
    expect([key.readUInt16LE(6) & 0x3fff, key.readUInt16LE(8) & 0x3fff]).toEqual([320, 180]);
    // About the asked bitrate over the two-second loop (encoders overshoot at the start).
    const bits = video.reduce((sum, f) => sum + f.data.length * 8, 0) / 2;
    expect(bits).toBeGreaterThan(LAYER.bitrate * 0.3);
    expect(bits).toBeLessThan(LAYER.bitrate * 3);

    expect(media.audio).toHaveLength(100);
    for (const packet of media.audio) expect(packet.data.length).toBeGreaterThan(10);

    // From the cache: no browser, the same bytes.
    const again = await loadRecordedMedia([LAYER], (line) => lines.push(line), dir);
    expect(lines.filter((l) => l.includes('encoding'))).toHaveLength(1);
    expect(Buffer.concat(again.video.get('320x180')!.map((f) => f.data)).equals(Buffer.concat(video.map((f) => f.data)))).toBe(true);

    // A damaged cache file is encoded again, not used.
    const file = fs.readdirSync(dir).find((name) => name.startsWith('vp8-'))!;
    fs.writeFileSync(path.join(dir, file), '{"frames":[{"key":fal');
    const repaired = await loadRecordedMedia([LAYER], (line) => lines.push(line), dir);
    expect(lines.filter((l) => l.includes('encoding'))).toHaveLength(2);
    expect(repaired.video.get('320x180')).toHaveLength(60);
  });
});

describe('a browser watching sim bots', { timeout: 120_000 }, () => {
  let server: TestServer;
  let recordedSims: SimBotFactory;
  let syntheticSims: SimBotFactory;
  let browsers: BrowserBotFactory;
  const room = `recorded-${process.pid}`;

  beforeAll(async () => {
    server = await startTestServer();
    recordedSims = createSimBotFactory({ media: 'recorded' });
    syntheticSims = createSimBotFactory();
    browsers = createBrowserBotFactory({ botsPerBrowser: 1, pollIntervalMs: 250 });
  });
  afterAll(async () => {
    await Promise.allSettled([browsers?.close(), recordedSims?.close(), syntheticSims?.close()]);
    await server?.close();
  });

  it('decodes and shows the recorded video of a sim bot; synthetic video arrives but never makes a frame', async () => {
    const publish = { audio: true, video: true, simulcast: false };
    const recorded = recordedSims.create({ url: server.wsUrl, room, name: 'recorded', publish });
    const synthetic = syntheticSims.create({ url: server.wsUrl, room, name: 'synthetic', publish });
    await Promise.all([recorded.start(), synthetic.start()]);
    const watcher = browsers.create({ url: server.wsUrl, room, name: 'watcher', publish: null });
    await watcher.start();

    const video = (snapshot: BotSnapshot, bot: Bot) => snapshot.streams.find((s) => s.peerId === bot.snapshot().peerId && s.kind === 'video');
    let snapshot = watcher.snapshot();
    await until(() => video((snapshot = watcher.snapshot()), recorded)?.firstAt !== undefined, {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: 'a decoded frame of the recorded video',
    });
    expect(video(snapshot, recorded)?.firstAt, 'a decoded frame of the recorded video').toBeDefined();
    // Both streams reach the page; only the recorded one decodes (its first frame time is from
    // requestVideoFrameCallback or framesDecoded), however long the synthetic one keeps coming.
    await sleep(3_000);
    snapshot = watcher.snapshot();
    expect(video(snapshot, synthetic)?.packets).toBeGreaterThan(50);
    expect(video(snapshot, synthetic)?.firstAt).toBeUndefined();
    expect(video(snapshot, recorded)?.packets).toBeGreaterThan(50);
    expect(snapshot.state).toBe('joined');
  });
});
