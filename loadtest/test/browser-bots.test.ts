/**
 * Browser bots end to end: Debian's Chromium running the real Confero page against a real server (real
 * mediasoup workers), measured by the page probe; plus the pieces that need no browser (the y4m clip, the
 * page address, finding Chromium).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../testkit/server';
import { createBrowserBotFactory, type BrowserBotFactory } from '../src/bots/browser';
import { resolveChromium } from '../src/bots/browser/chromium-path';
import { clipBytes, ensureClip, renderClip, renderFrame, y4mHeader, type ClipFormat } from '../src/bots/browser/clip';
import { botPageFor } from '../src/bots/browser/page-url';
import { isRunning, processTree } from '../src/process-usage';
import type { Bot, BotSnapshot, BotSpec } from '../src/bots/types';
import { until } from '../../testkit/until';

const ROOM = `bots-${process.pid}`;
const AV = { audio: true, video: true, simulcast: true };

/** Polls (bounded) until `check` holds for the bots' snapshots. */
async function waitForSnapshots(bots: Bot[], check: (snapshots: BotSnapshot[]) => boolean, timeoutMs = 25_000): Promise<BotSnapshot[]> {
  let snapshots: BotSnapshot[] = [];
  return until(
    () => {
      snapshots = bots.map((bot) => bot.snapshot());
      return check(snapshots) && snapshots;
    },
    { timeoutMs, intervalMs: 250, what: () => `the snapshots satisfy the check: ${JSON.stringify(snapshots, null, 1)}` },
  );
}

/** Every kind a publisher sends arrives at every other bot, with packets, and its first frame/packet time. */
function receivesAll(snapshot: BotSnapshot, publishers: BotSnapshot[]): boolean {
  return publishers
    .filter((p) => p.peerId !== snapshot.peerId)
    .every((p) =>
      (['audio', 'video'] as const).every((kind) =>
        snapshot.streams.some((s) => s.peerId === p.peerId && s.kind === kind && s.packets > 0 && s.firstAt !== undefined),
      ),
    );
}

describe('browser bots in a real call', { timeout: 120_000 }, () => {
  let server: TestServer;
  let factory: BrowserBotFactory;
  const logLines: string[] = [];
  const specs: BotSpec[] = [];
  const bots: Bot[] = [];

  beforeAll(async () => {
    // Three bots fill the room: a fourth is refused by the server (room_full).
    server = await startTestServer({ ALLOW_PLAIN_TRANSPORTS: 'false', MAX_PEERS_PER_ROOM: '3' });
    factory = createBrowserBotFactory({ botsPerBrowser: 2, log: (line) => logLines.push(line) });
    specs.push(
      { url: server.wsUrl, room: ROOM, name: 'pub-1', publish: AV },
      { url: server.wsUrl, room: ROOM, name: 'pub-2', publish: AV },
      { url: server.wsUrl, room: ROOM, name: 'watcher', publish: null },
    );
  }, 60_000);

  afterAll(async () => {
    await factory?.close();
    await server?.close();
  });

  it('three bots in two browsers join, and every bot receives audio and video from every other publisher', async () => {
    bots.push(...specs.map((spec) => factory.create(spec)));
    // The watcher opens its page at the join form first, as someone who has yet to press Join: it is not
    // in the room (and has no signalling socket) until start() fills in the name and joins.
    const preparedAt = Date.now();
    await bots[2]!.prepare!();
    expect(server.directory.get(ROOM)?.peers.size ?? 0).toBe(0);
    expect(bots[2]!.snapshot().wsOpenAt).toBeUndefined();
    await Promise.all(bots.map((bot) => bot.start()));
    expect(bots[2]!.snapshot().wsOpenAt).toBeGreaterThan(preparedAt);
    expect(factory.browserCount).toBe(2);
    expect(factory.browserPids()).toHaveLength(2);

    const snapshots = await waitForSnapshots(bots, (all) => all.every((s) => receivesAll(s, all.slice(0, 2)) && s.firstMediaAt !== undefined));
    const [pub1, pub2, watcher] = snapshots as [BotSnapshot, BotSnapshot, BotSnapshot];
    for (const snapshot of snapshots) {
      expect(snapshot.state, snapshot.name).toBe('joined');
      expect(snapshot.error).toBeUndefined();
      expect(snapshot.peerId).toMatch(/\S/);
      expect(snapshot.wsOpenAt).toBeGreaterThan(0);
      expect(snapshot.joinedAt).toBeGreaterThanOrEqual(snapshot.wsOpenAt!);
      expect(snapshot.firstMediaAt).toBeGreaterThan(snapshot.wsOpenAt!);
      // The first remote media is the first video frame shown.
      expect(snapshot.firstMediaAt).toBe(Math.min(...snapshot.streams.filter((s) => s.kind === 'video').map((s) => s.firstAt!)));
      for (const stream of snapshot.streams) {
        expect(stream.firstAt, `${snapshot.name} ← ${stream.kind}`).toBeGreaterThan(snapshot.wsOpenAt!);
        expect(stream.bytes).toBeGreaterThan(stream.packets * 12); // at least an RTP header each
        expect(stream.jitterMs).toBeGreaterThanOrEqual(0);
        if (stream.kind === 'video') expect(stream.freezeCount).toBeGreaterThanOrEqual(0);
      }
    }
    // Publishers hear each other; the watcher receives both and publishes nothing.
    expect(new Set(pub1.streams.map((s) => s.peerId))).toEqual(new Set([pub2.peerId]));
    expect(new Set(pub2.streams.map((s) => s.peerId))).toEqual(new Set([pub1.peerId]));
    expect(new Set(watcher.streams.map((s) => s.peerId))).toEqual(new Set([pub1.peerId, pub2.peerId]));
    expect(watcher.streams).toHaveLength(4);
    expect(watcher.sent).toEqual({ packets: 0, bytes: 0 });
    for (const publisher of [pub1, pub2]) expect(publisher.sent.packets).toBeGreaterThan(0);

    // Counters keep growing, and on loopback hardly anything is lost.
    const later = await waitForSnapshots(bots, (all) =>
      all.every((s, i) =>
        s.streams.every((stream) => stream.packets > (snapshots[i]!.streams.find((e) => e.peerId === stream.peerId && e.kind === stream.kind)?.packets ?? 0)),
      ),
    );
    for (const snapshot of later) {
      for (const stream of snapshot.streams) expect(stream.lost / (stream.packets + stream.lost), `${snapshot.name} ← ${stream.kind}`).toBeLessThan(0.05);
      for (const stream of snapshot.streams) if (stream.rttMs !== undefined) expect(stream.rttMs).toBeGreaterThanOrEqual(0);
    }
    expect(server.directory.get(ROOM)?.peers.size).toBe(3);
  });

  it('a bot the server refuses fails with the reason and leaves the others alone', async () => {
    const refused = factory.create({ url: server.wsUrl, room: ROOM, name: 'one-too-many', publish: AV });
    await expect(refused.start()).rejects.toThrow(/room_full|full/i);
    const snapshot = refused.snapshot();
    expect(snapshot.state).toBe('failed');
    expect(snapshot.error).toMatch(/join failed: .*(room_full|full)/i);
    await refused.close();
    expect(refused.snapshot().state).toBe('closed');
    expect(bots.map((bot) => bot.snapshot().state)).toEqual(['joined', 'joined', 'joined']);
    expect(server.directory.get(ROOM)?.peers.size).toBe(3);
  });

  it('when a publisher leaves, its streams are gone from the others and their first-media time stays', async () => {
    const [pub1, pub2, watcher] = bots as [Bot, Bot, Bot];
    const before = watcher.snapshot();
    const leaver = pub1.snapshot().peerId;
    await pub1.close();
    expect(pub1.snapshot().state).toBe('closed');
    const gone = (all: BotSnapshot[]): boolean => all.every((s) => s.streams.every((stream) => stream.peerId !== leaver));
    const [pub2After, watcherAfter] = (await waitForSnapshots([pub2, watcher], gone)) as [BotSnapshot, BotSnapshot];
    expect(watcherAfter.streams.map((s) => s.peerId)).toEqual([pub2.snapshot().peerId, pub2.snapshot().peerId]);
    expect(pub2After.streams).toEqual([]);
    expect(watcherAfter.firstMediaAt).toBe(before.firstMediaAt);
    expect(server.directory.get(ROOM)?.peers.size).toBe(2);
  });

  it('bad specs fail clearly without a browser', async () => {
    const browsers = factory.browserCount;
    const cases: [Partial<BotSpec>, RegExp][] = [
      [{ url: 'http://127.0.0.1:1/ws' }, /ws:\/\/ or wss:\/\//],
      [{ url: 'not a url' }, /ws:\/\/ or wss:\/\//],
    ];
    for (const [override, error] of cases) {
      const bot = factory.create({ url: server.wsUrl, room: ROOM, name: 'bad', publish: null, ...override });
      await expect(bot.start()).rejects.toThrow(error);
      expect(bot.snapshot()).toMatchObject({ state: 'failed', error: expect.stringMatching(error) });
      await bot.close();
    }
    expect(factory.browserCount).toBe(browsers);
    expect(() => createBrowserBotFactory({ botsPerBrowser: 0 })).toThrow(/botsPerBrowser/);
  });

  it('a browser closes when its last bot leaves; closing the factory ends every Chromium process it started', async () => {
    const ours = processTree(factory.browserPids());
    expect(ours.length).toBeGreaterThan(2); // two browsers and their renderers, GPU, network… processes
    const profiles = factory.browserPids().map((pid) => /--user-data-dir=([^\0]+)/.exec(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))![1]!);
    // Bots fill browsers in the order they open pages: the watcher (prepared first) and pub-1 share the
    // first, pub-2 has the second to itself.
    const secondBrowser = processTree(factory.browserPids().slice(1, 2));
    await bots[1]!.close();
    expect(factory.browserCount).toBe(1);
    expect(secondBrowser.filter(isRunning)).toEqual([]);
    expect(bots[2]!.snapshot().state).toBe('joined');

    await factory.close();
    expect(bots.map((bot) => bot.snapshot().state)).toEqual(['closed', 'closed', 'closed']);
    expect(factory.browserPids()).toEqual([]);
    expect(ours.filter(isRunning)).toEqual([]);
    for (const profile of profiles) expect(fs.existsSync(path.dirname(profile)), profile).toBe(false);
    expect(factory.browserCount).toBe(0);
    // The bots said goodbye: the server has no peer left (the empty room closes after its grace period).
    await until(() => (server.directory.get(ROOM)?.peers.size ?? 0) === 0, { intervalMs: 100, what: 'the server has no peer left' });
    expect(server.directory.get(ROOM)?.peers.size ?? 0).toBe(0);
  });
});

describe('the fake camera clip', () => {
  const small: ClipFormat = { width: 64, height: 36, fps: 10, frames: 12 };

  it('is a YUV4MPEG2 stream of I420 frames whose picture moves and loops without a jump', () => {
    const clip = renderClip(small);
    expect(clip.subarray(0, y4mHeader(small).length).toString()).toBe('YUV4MPEG2 W64 H36 F10:1 Ip A1:1 C420jpeg\n');
    expect(clip.length).toBe(clipBytes(small));
    const frameSize = 64 * 36 * 1.5;
    expect(clip.subarray(y4mHeader(small).length, y4mHeader(small).length + 6).toString()).toBe('FRAME\n');
    expect(renderFrame(small, 0)).toHaveLength(frameSize);
    expect(renderFrame(small, 1).equals(renderFrame(small, 0))).toBe(false);
    expect(renderFrame(small, small.frames).equals(renderFrame(small, 0))).toBe(true);
  });

  it('is cached: made once, reused, and made again when the file is incomplete', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-clip-test-'));
    try {
      const file = ensureClip(small, dir);
      expect(fs.statSync(file).size).toBe(clipBytes(small));
      const made = fs.statSync(file).mtimeMs;
      fs.utimesSync(file, new Date(0), new Date(0));
      expect(ensureClip(small, dir)).toBe(file);
      expect(fs.statSync(file).mtimeMs).toBe(0); // untouched
      fs.truncateSync(file, 100);
      ensureClip(small, dir);
      expect(fs.statSync(file).size).toBe(clipBytes(small));
      expect(made).toBeGreaterThan(0);
      expect(fs.readdirSync(dir)).toEqual([path.basename(file)]); // no temp files left
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects impossible formats', () => {
    expect(() => renderClip({ ...small, width: 63 })).toThrow(/even/);
    expect(() => renderClip({ ...small, fps: 0 })).toThrow(/fps/);
  });
});

describe('the page a bot opens', () => {
  it('is the server’s own page, http for ws and https for wss, with the join switches', () => {
    const publisher = botPageFor({ url: 'ws://127.0.0.1:3000/ws', room: 'r 1', name: 'b&1', publish: { audio: true, video: true, simulcast: false } });
    expect(publisher.origin).toBe('http://127.0.0.1:3000');
    const query = new URL(publisher.url).searchParams;
    expect(Object.fromEntries(query)).toEqual({ room: 'r 1', name: 'b&1', video: '1', audio: '1', simulcast: '0' });
    const watcher = botPageFor({ url: 'wss://sfu.example.org/ws', room: 'r', name: 'w', publish: null });
    expect(watcher.origin).toBe('https://sfu.example.org');
    expect(Object.fromEntries(new URL(watcher.url).searchParams)).toMatchObject({ video: '0', audio: '0' });
  });

  it('refuses URLs the page could not signal on', () => {
    expect(() => botPageFor({ url: 'ws://h:1/other', room: 'r', name: 'n', publish: null })).toThrow(/path/);
    expect(() => botPageFor({ url: 'ws://h:1/ws', room: ' ', name: 'n', publish: null })).toThrow(/room and name/);
  });
});

describe('finding Chromium', () => {
  it('uses the path it was given, and says so when that path is wrong', async () => {
    await expect(resolveChromium({ chromiumPath: process.execPath, env: {} })).resolves.toEqual({ executablePath: process.execPath, source: 'option' });
    await expect(resolveChromium({ env: { CHROMIUM_PATH: '/nonexistent/chromium' } })).rejects.toThrow(/\/nonexistent\/chromium \(from CHROMIUM_PATH\)/);
  });

  it('without a system Chromium and without a download, says to install chromium or set CHROMIUM_PATH', async () => {
    // A loopback "mirror" that has nothing: the real download path fails without leaving the machine.
    const mirror = http.createServer((_, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    const browsersDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-browsers-test-'));
    try {
      const { port } = mirror.address() as { port: number };
      const attempt = resolveChromium({ env: {}, systemPath: '/nonexistent/chromium', browsersDir, downloadBaseUrl: `http://127.0.0.1:${port}` });
      await expect(attempt).rejects.toThrow(/Chromium not found at \/nonexistent\/chromium.*apt-get install chromium.*CHROMIUM_PATH/);
    } finally {
      mirror.close();
      fs.rmSync(browsersDir, { recursive: true, force: true });
    }
  });
});
