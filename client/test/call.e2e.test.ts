/**
 * The browser client end to end: real Chromium (Debian's, fake camera and microphone) against a real
 * Confero server with real mediasoup workers. Participants open invite links (?room=&name=) and join.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer';
import { startTestServer, type TestServer } from '../../testkit/server';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import { audioPeaks, framesAdvancing, remoteVideos, waitForVideos, waitFramesAdvance, waitJoined } from '../../testkit/page-probes';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

let server: TestServer;
let browser: TestBrowser;
let httpPort: number;
const ROOM = `e2e-${process.pid}`;

async function open(room: string, name: string, extra = ''): Promise<Page> {
  const page = await browser.newParticipant();
  await page.goto(`${server.baseUrl}/?room=${room}&name=${encodeURIComponent(name)}${extra}`);
  await waitJoined(page);
  return page;
}

const peerIdOf = (page: Page): Promise<string> => page.$eval('body', (b) => (b as HTMLElement).dataset.peerId!);

beforeAll(async () => {
  server = await startTestServer({ ALLOW_PLAIN_TRANSPORTS: 'false' });
  httpPort = Number(new URL(server.baseUrl).port);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a three-person call in Chromium', { timeout: 120_000 }, () => {
  const pages: Page[] = [];
  const ids: string[] = [];

  it('each participant sees two remote videos playing and hears two remote audio streams', async () => {
    for (const name of ['Ada', 'Grace', 'Linus']) pages.push(await open(ROOM, name));
    for (const page of pages) ids.push(await peerIdOf(page));

    for (const [i, page] of pages.entries()) {
      const others = ids.filter((_, j) => j !== i);
      await waitForVideos(page, (vs) => others.every((id) => vs.some((v) => v.peerId === id && v.source === 'webcam' && v.width > 0)));
      await waitFramesAdvance(
        page,
        others.map((id) => `${id}:webcam`),
      );
      const peaks = await audioPeaks(page);
      for (const id of others) expect(peaks[id], `${i} hears ${id}`).toBeGreaterThan(0.01);
      expect(await page.$('video[data-local]')).not.toBeNull();
    }
    // Simulcast is on by default, and each tile asked for the layer that fits its size (≈300 px tall
    // tiles here: the middle layer).
    const room = server.directory.get(ROOM)!;
    const videoConsumers = [...room.peers.values()].flatMap((p) => [...p.consumers.values()]).filter((c) => c.kind === 'video');
    expect(videoConsumers).toHaveLength(6);
    for (const consumer of videoConsumers) {
      expect(consumer.type).toBe('simulcast');
      expect(consumer.preferredLayers?.spatialLayer).toBe(1);
    }
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await pages[0]!.screenshot({ path: path.join(ARTIFACTS, 'call-3-people.png') });
  });

  it('muting the camera pauses that tile for the others', async () => {
    expect(pages).toHaveLength(3);
    await pages[0]!.click('button[data-action="camera"]');
    for (const page of pages.slice(1)) {
      await page.waitForSelector(`[data-tile-peer="${ids[0]}"].video-off`, { timeout: 5000 });
      // Frames already on their way when the pause landed may still be decoded on a busy machine: the tile
      // must go quiet within a few seconds, and then stay quiet for a whole second.
      let advanced = Infinity;
      for (let window = 0; window < 4 && advanced > 1; window++) {
        advanced = (await framesAdvancing(page, 1000)).get(`${ids[0]}:webcam`) ?? 0;
      }
      expect(advanced).toBeLessThanOrEqual(1);
    }
    await pages[0]!.click('button[data-action="camera"]');
    for (const page of pages.slice(1)) {
      await page.waitForSelector(`[data-tile-peer="${ids[0]}"]:not(.video-off)`, { timeout: 5000 });
      await waitFramesAdvance(page, [`${ids[0]}:webcam`]);
    }
  });

  it('a screen share appears as an extra tile and disappears when stopped', async () => {
    expect(pages).toHaveLength(3);
    await pages[1]!.click('button[data-action="screen"]');
    for (const page of [pages[0]!, pages[2]!]) {
      await waitForVideos(page, (vs) => vs.some((v) => v.peerId === ids[1] && v.source === 'screen' && v.width > 0));
      await waitFramesAdvance(page, [`${ids[1]}:screen`], 2);
    }
    await pages[1]!.click('button[data-action="screen"]');
    for (const page of [pages[0]!, pages[2]!]) {
      await waitForVideos(page, (vs) => !vs.some((v) => v.source === 'screen'), 5000);
    }
  });

  it('chat messages reach the others over DataChannels', async () => {
    expect(pages).toHaveLength(3);
    await pages[0]!.click('button[data-action="people"]');
    await pages[0]!.type('input[name="chat"]', 'hello from Ada');
    await pages[0]!.keyboard.press('Enter');
    for (const page of pages.slice(1)) {
      await page.waitForFunction(() => document.querySelector('[data-chat]')?.textContent?.includes('hello from Ada'), { timeout: 5000 });
      const text = await page.$eval('[data-chat]', (el) => el.textContent);
      expect(text).toContain('Ada');
    }
    const people = await pages[1]!.$$eval('[data-participants] li', (items) => items.map((li) => li.textContent));
    expect(people.sort()).toEqual(['Ada', 'Grace (you)', 'Linus'].sort());
  });

  it('the stats panel shows per-stream bitrate, resolution and codec', async () => {
    expect(pages).toHaveLength(3);
    await pages[0]!.click('button[data-action="stats"]');
    await pages[0]!.waitForFunction(
      () => [...document.querySelectorAll('[data-stats] tr')].some((tr) => /VP8/i.test(tr.textContent ?? '') && /\d+×\d+/.test(tr.textContent ?? '')),
      { timeout: 10_000 },
    );
    const rows = await pages[0]!.$$eval('[data-stats] tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows[0]).toEqual(['stream', 'kbit/s', 'loss', 'RTT', 'resolution', 'fps', 'codec']);
    expect(rows.length).toBeGreaterThanOrEqual(5); // own mic + camera, two remote audio + two remote video
    await pages[0]!.click('button[data-action="stats"]');
  });

  it('lays out for a phone-sized screen', async () => {
    expect(pages).toHaveLength(3);
    const phone = pages[1]!;
    await phone.setViewport({ width: 390, height: 844 });
    await sleep(300);
    const columns = await phone.$eval('.grid', (grid) => getComputedStyle(grid).gridTemplateColumns.split(' ').length);
    expect(columns).toBeLessThanOrEqual(2);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(overflow).toBe(false);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'call-phone.png') });
    await phone.setViewport({ width: 960, height: 640 });
  });

  it('a second room is isolated', async () => {
    const loner = await open(`${ROOM}-other`, 'Solo');
    await sleep(1500);
    expect(await remoteVideos(loner)).toEqual([]);
    const lonerId = await peerIdOf(loner);
    for (const page of pages) expect((await remoteVideos(page)).some((v) => v.peerId === lonerId)).toBe(false);
    await loner.close();
  });

  it('after a server restart the pages reconnect and media flows again', async () => {
    expect(pages).toHaveLength(3);
    await server.close();
    for (const page of pages) await page.waitForSelector('body[data-state="reconnecting"]', { timeout: 10_000 });
    server = await startTestServer({ ALLOW_PLAIN_TRANSPORTS: 'false' }, { httpPort });
    for (const page of pages) {
      await page.waitForSelector('body[data-state="joined"]', { timeout: 30_000 });
    }
    const fresh = await Promise.all(pages.map(peerIdOf));
    for (const [i, page] of pages.entries()) {
      const others = fresh.filter((_, j) => j !== i);
      await waitForVideos(page, (vs) => others.every((id) => vs.some((v) => v.peerId === id && v.width > 0)), 30_000);
      await waitFramesAdvance(
        page,
        others.map((id) => `${id}:webcam`),
      );
    }
    ids.splice(0, ids.length, ...fresh);
  });

  it('a participant who leaves disappears within 2 s', async () => {
    expect(pages).toHaveLength(3);
    await pages[2]!.click('button[data-action="leave"]');
    const started = Date.now();
    for (const page of pages.slice(0, 2)) {
      await waitForVideos(page, (vs) => !vs.some((v) => v.peerId === ids[2]), 2000);
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('the join page', { timeout: 60_000 }, () => {
  it('prefills the room, previews camera and microphone, and joins with the chosen name', async () => {
    const page = await browser.newParticipant();
    // Counts the page's peer connections and which of them came before its signalling socket.
    await page.evaluateOnNewDocument(() => {
      const seen: string[] = [];
      (globalThis as unknown as { __pcs: string[] }).__pcs = seen;
      const NativePc = globalThis.RTCPeerConnection;
      globalThis.RTCPeerConnection = class extends NativePc {
        constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
          super(...args);
          seen.push('pc');
        }
      };
      const NativeWs = globalThis.WebSocket;
      globalThis.WebSocket = class extends NativeWs {
        constructor(...args: ConstructorParameters<typeof WebSocket>) {
          super(...args);
          seen.push('ws');
        }
      };
    });
    await page.goto(`${server.baseUrl}/?room=${ROOM}-join`);
    await page.waitForSelector('input[name="room"]');
    // While the form shows, the browser's WebRTC capabilities are worked out (one throwaway peer
    // connection per direction), so joining does not wait for them.
    await page.waitForFunction(() => (globalThis as unknown as { __pcs: string[] }).__pcs.length >= 2, { timeout: 5_000 });
    expect(await page.$eval('input[name="room"]', (el) => (el as HTMLInputElement).value)).toBe(`${ROOM}-join`);
    await page.waitForFunction(() => (document.querySelector('video[data-preview]') as HTMLVideoElement | null)?.videoWidth! > 0, { timeout: 10_000 });
    await page.waitForFunction(() => Number((document.querySelector('[data-mic-meter]') as HTMLMeterElement | null)?.value) > 0, { timeout: 10_000 });
    expect(await page.$$eval('select[name="camera"] option', (options) => options.length)).toBeGreaterThan(0);
    await page.type('input[name="name"]', 'Joiner');
    await page.click('button[type="submit"]');
    await waitJoined(page);
    expect(new URL(page.url()).searchParams.get('name')).toBe('Joiner');
    const created = await page.evaluate(() => (globalThis as unknown as { __pcs: string[] }).__pcs);
    expect(created.slice(0, 3)).toEqual(['pc', 'pc', 'ws']);
    expect(created.filter((c) => c === 'pc').length).toBe(4); // those two, then the call's send and receive transports
    await page.close();
  });
});
