/**
 * The page under the admin API, in real Chromium against a server with AUTH_KEYS: an admin's mute and
 * unmute of the page's microphone show on its mic button, and closing the room ends the call with a
 * notice — the page does not rejoin (which would open the room again), nor looks in the call again when
 * its devices come up after the end (a cold clone's run once failed so: 'ended', then 'joined').
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer';
import { startTestServer, type TestServer } from '../../testkit/server';
import { mintToken } from '../../server/src/auth/mint';
import type { VideoGrant } from '../../server/src/auth/grants';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import { waitJoined } from '../../testkit/page-probes';
import { until } from '../../testkit/until';

const API_KEY = 'page-admin';
const API_SECRET = 'a-secret-for-the-page-admin-test-000000';
const ROOM = `admin-e2e-${process.pid}`;

let server: TestServer;
let browser: TestBrowser;

const token = (identity: string, video: VideoGrant): Promise<string> => mintToken({ apiKey: API_KEY, apiSecret: API_SECRET, identity, video });

async function admin(method: string, path: string, body?: unknown, room = ROOM): Promise<number> {
  const res = await fetch(`${server.baseUrl}/admin/v1/rooms/${room}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await token('admin', { roomAdmin: true, room })}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status;
}

const micOff = (page: Page): Promise<boolean> => page.$eval('button[data-action="mic"]', (b) => b.classList.contains('off'));

beforeAll(async () => {
  server = await startTestServer({ AUTH_KEYS: `${API_KEY}:${API_SECRET}`, ALLOW_PLAIN_TRANSPORTS: 'false' });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the page and the admin API', { timeout: 120_000 }, () => {
  it('stays ended when an admin closes the room while its microphone and camera are still starting', async () => {
    const room = `${ROOM}-slow-devices`;
    const page = await browser.newParticipant();
    // Devices that take their time to start (as on a cold, busy machine): the room closes meanwhile. The
    // page's getUserMedia calls are counted, so the test can tell when its start-up work is over.
    await page.evaluateOnNewDocument(() => {
      const media = navigator.mediaDevices;
      const getUserMedia = media.getUserMedia.bind(media);
      const body = (): HTMLElement => document.body;
      let pending = 0;
      media.getUserMedia = async (constraints) => {
        body().dataset.devicesPending = String(++pending);
        try {
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          return await getUserMedia(constraints);
        } finally {
          body().dataset.devicesPending = String(--pending);
          body().dataset.devicesSettledAt = String(performance.now());
        }
      };
    });
    const joinToken = await token('grace', { roomJoin: true, room });
    await page.goto(`${server.baseUrl}/?room=${room}&name=Grace&token=${encodeURIComponent(joinToken)}`);
    await waitJoined(page);
    expect(await admin('DELETE', '', undefined, room)).toBe(204);
    await page.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
    // Every device the page asked for came up after the end, and no new request followed for 1.5 s: the
    // page acted on them all, and must not look in the call again.
    await page.waitForFunction(
      () => document.body.dataset.devicesPending === '0' && performance.now() - Number(document.body.dataset.devicesSettledAt) > 1_500,
      { timeout: 20_000, polling: 100 },
    );
    expect(await page.$eval('body', (b) => (b as HTMLElement).dataset.state)).toBe('ended');
    expect(await page.$eval('body', (b) => (b as HTMLElement).innerText)).toContain('The call was ended by an admin.');
    expect(server.directory.get(room)).toBeUndefined();
    await page.close();
  });

  it('shows an admin mute on the mic button, and ends for good when an admin closes the room', async () => {
    const page = await browser.newParticipant();
    const joinToken = await token('ada', { roomJoin: true, room: ROOM });
    await page.goto(`${server.baseUrl}/?room=${ROOM}&name=Ada&token=${encodeURIComponent(joinToken)}`);
    await waitJoined(page);
    const peerId = await page.$eval('body', (b) => (b as HTMLElement).dataset.peerId!);
    const peer = server.directory.get(ROOM)!.peers.get(peerId)!;
    // 'joined' comes before the page publishes: wait for its microphone.
    const mic = (
      await until(() => [...peer.producers.values()].find((p) => p.source === 'mic'), { timeoutMs: 10_000, what: 'the page publishes its microphone' })
    ).producer;
    await page.waitForSelector('button[data-action="mic"]:not(.off)', { timeout: 10_000 });
    expect(await micOff(page)).toBe(false);

    expect(await admin('POST', `/peers/${peerId}/producers/${mic.id}/mute`, { muted: true })).toBe(200);
    await page.waitForSelector('button[data-action="mic"].off', { timeout: 10_000 });
    expect(mic.paused).toBe(true);
    expect(await admin('POST', `/peers/${peerId}/producers/${mic.id}/mute`, { muted: false })).toBe(200);
    await page.waitForSelector('button[data-action="mic"]:not(.off)', { timeout: 10_000 });

    expect(await admin('DELETE', '')).toBe(204);
    await page.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
    expect(await page.$eval('body', (b) => (b as HTMLElement).innerText)).toContain('The call was ended by an admin.');
    // Longer than a reconnection's first backoff: the page stayed ended and nobody reopened the room.
    await sleep(2_000);
    expect(await page.$eval('body', (b) => (b as HTMLElement).dataset.state)).toBe('ended');
    expect(server.directory.get(ROOM)).toBeUndefined();
    await page.close();
  });
});
