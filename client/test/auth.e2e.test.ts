/**
 * The page on a server with AUTH_KEYS, in real Chromium: join links with ?token= join and video plays
 * both ways, a viewer link (no publish grants) watches; a refused token shows a notice saying so (and
 * why) instead of a call; opening the same identity's link elsewhere ends the first page's call with a
 * notice, without it coming back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer';
import { startTestServer, type TestServer } from '../../testkit/server';
import { AUTH_ENV, tokenFor } from '../../testkit/tokens';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import { waitFramesAdvance, waitJoined } from '../../testkit/page-probes';
import { until } from '../../testkit/until';

let server: TestServer;
let browser: TestBrowser;
const ROOM = `auth-e2e-${process.pid}`;

async function open(name: string, token: string): Promise<Page> {
  const page = await browser.newParticipant();
  await page.goto(`${server.baseUrl}/?room=${ROOM}&name=${encodeURIComponent(name)}&token=${encodeURIComponent(token)}`);
  return page;
}

const peerIdOf = (page: Page): Promise<string> => page.$eval('body', (b) => (b as HTMLElement).dataset.peerId!);
const bodyText = (page: Page): Promise<string> => page.$eval('body', (b) => (b as HTMLElement).innerText);

beforeAll(async () => {
  server = await startTestServer({ ...AUTH_ENV, ALLOW_PLAIN_TRANSPORTS: 'false' });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('join links with ?token=', { timeout: 120_000 }, () => {
  const pages: Page[] = [];

  it('two people join with their links and see each other’s video', async () => {
    pages.push(await open('Ada', await tokenFor(ROOM, 'ada')), await open('Grace', await tokenFor(ROOM, 'grace', { name: 'Grace H.' })));
    for (const page of pages) await waitJoined(page);
    const [ada, grace] = [await peerIdOf(pages[0]!), await peerIdOf(pages[1]!)];
    await waitFramesAdvance(pages[0]!, [`${grace}:webcam`]);
    await waitFramesAdvance(pages[1]!, [`${ada}:webcam`]);
    const identities = [...server.directory.get(ROOM)!.peers.values()].map((p) => [p.identity, p.displayName]).sort();
    expect(identities).toEqual([
      ['ada', 'Ada'],
      ['grace', 'Grace H.'],
    ]);
  });

  it('a viewer link (no publish grants) joins with a receive transport only and watches both videos', async () => {
    const viewer = await open('Watcher', await tokenFor(ROOM, 'watcher', { video: { canPublish: false, canPublishData: false } }));
    await waitJoined(viewer);
    const [ada, grace] = [await peerIdOf(pages[0]!), await peerIdOf(pages[1]!)];
    await waitFramesAdvance(viewer, [`${ada}:webcam`, `${grace}:webcam`]);
    const watcher = [...server.directory.get(ROOM)!.peers.values()].find((p) => p.identity === 'watcher')!;
    expect([...watcher.transports.values()].map((t) => t.appData.direction)).toEqual(['recv']);
    expect(watcher.producers.size).toBe(0);
    // The page offers nothing it may not do: no mic, camera or screen button (the publishers' pages have them).
    const visible = (page: typeof viewer): Promise<string[]> =>
      page.$$eval('button[data-action]', (buttons) => buttons.filter((b) => (b as HTMLElement).offsetParent !== null).map((b) => b.dataset.action!));
    const shown = await visible(viewer);
    for (const action of ['mic', 'camera', 'screen']) expect(shown, action).not.toContain(action);
    expect(shown).toContain('leave');
    expect(await visible(pages[0]!)).toEqual(expect.arrayContaining(['mic', 'camera', 'screen', 'leave']));
    await viewer.close();
    await until(() => server.directory.get(ROOM)!.peers.size === 2);
  });

  it('a refused token shows a notice with the reason, not a call', async () => {
    const page = await open('Eve', 'not-a-token');
    await page.waitForSelector('body[data-state="error"][data-error="unauthorized"]', { timeout: 20_000 });
    const text = await bodyText(page);
    expect(text).toContain('Access refused');
    expect(text).toMatch(/malformed access token.*Ask whoever invited you for a new link/s);
    const expired = await open('Late', await tokenFor('other-room', 'late'));
    await expired.waitForSelector('body[data-error="unauthorized"]', { timeout: 20_000 });
    expect(await bodyText(expired)).toContain('access token is for room "other-room"');
    expect(server.directory.get(ROOM)!.peers.size).toBe(2);
    await page.close();
    await expired.close();
  });

  it('the same identity opened elsewhere ends the first page’s call with a notice; it does not come back', async () => {
    expect(pages).toHaveLength(2);
    const again = await open('Ada', await tokenFor(ROOM, 'ada'));
    await waitJoined(again);
    await pages[0]!.waitForSelector('body[data-state="ended"] [data-reason="duplicate_identity"]', { timeout: 10_000 });
    expect(await bodyText(pages[0]!)).toContain('You joined this call from another tab or device');
    const newAda = await peerIdOf(again);
    await waitFramesAdvance(pages[1]!, [`${newAda}:webcam`]);
    await sleep(1500); // a page that reconnected would have taken the seat back by now
    const peers = [...server.directory.get(ROOM)!.peers.values()];
    expect(peers.map((p) => p.identity).sort()).toEqual(['ada', 'grace']);
    expect(peers.find((p) => p.identity === 'ada')!.id).toBe(newAda);
    expect(await pages[0]!.$eval('body', (b) => (b as HTMLElement).dataset.state)).toBe('ended');
  });
});
