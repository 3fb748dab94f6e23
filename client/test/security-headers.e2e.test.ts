/**
 * The page under its Content-Security-Policy, in real Chromium against a real server: the join page, a
 * two-person call with video both ways, and the side panels, with every CSP violation collected
 * (securitypolicyviolation events and console reports) — none may occur. A deliberate inline script at
 * the end shows the collector would have caught one. Then the page and its socket in Firefox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer';
import { startTestServer, type TestServer } from '../../testkit/server';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import { waitFramesAdvance, waitForVideos, waitJoined } from '../../testkit/page-probes';

let server: TestServer;
let browser: TestBrowser;
const ROOM = `csp-${process.pid}`;

interface Violations {
  events: { directive: string; blocked: string }[];
  console: string[];
}

/** A participant whose page reports every CSP violation, from the first byte of every document on. */
async function participant(inBrowser: TestBrowser = browser): Promise<{ page: Page; violations: () => Promise<Violations> }> {
  const page = await inBrowser.newParticipant();
  const consoleReports: string[] = [];
  page.on('console', (message) => {
    if (/content[ -]security[ -]policy/i.test(message.text())) consoleReports.push(message.text());
  });
  await page.evaluateOnNewDocument(() => {
    const seen: { directive: string; blocked: string }[] = [];
    (globalThis as { __cspViolations?: typeof seen }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => seen.push({ directive: event.violatedDirective, blocked: event.blockedURI }));
  });
  return {
    page,
    violations: async () => ({
      events: await page.evaluate(() => (globalThis as { __cspViolations?: Violations['events'] }).__cspViolations ?? []),
      console: [...consoleReports],
    }),
  };
}

beforeAll(async () => {
  server = await startTestServer({ ALLOW_PLAIN_TRANSPORTS: 'false' });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the page under its Content-Security-Policy', { timeout: 120_000 }, () => {
  it('joins, calls and opens its panels without a single violation', async () => {
    const ada = await participant();
    const response = await ada.page.goto(`${server.baseUrl}/`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    // The join page: camera preview, then join through the form.
    await ada.page.waitForSelector('video[data-preview]');
    await ada.page.type('input[name="room"]', ROOM);
    await ada.page.type('input[name="name"]', 'Ada');
    await ada.page.click('button[type="submit"]');
    await waitJoined(ada.page);

    const grace = await participant();
    await grace.page.goto(`${server.baseUrl}/?room=${ROOM}&name=Grace`);
    await waitJoined(grace.page);
    const ids = await Promise.all([ada.page, grace.page].map((p) => p.$eval('body', (b) => (b as HTMLElement).dataset.peerId!)));
    for (const [i, { page }] of [ada, grace].entries()) {
      const other = ids[1 - i]!;
      await waitForVideos(page, (videos) => videos.some((v) => v.peerId === other && v.width > 0));
      await waitFramesAdvance(page, [`${other}:webcam`]);
    }
    // The side panels (people and chat, stats) render under the policy too; a chat message goes across.
    await ada.page.click('button[data-action="people"]');
    await ada.page.click('button[data-action="stats"]');
    await grace.page.click('button[data-action="people"]');
    await ada.page.type('input[name="chat"]', 'hello under CSP');
    await ada.page.keyboard.press('Enter');
    await grace.page.waitForFunction(() => document.querySelector('[data-chat]')?.textContent?.includes('hello under CSP'), { timeout: 10_000 });
    await sleep(1500); // a stats refresh or two

    for (const [name, { violations }] of Object.entries({ ada, grace })) {
      expect(await violations(), name).toEqual({ events: [], console: [] });
    }

    // The collector works: an inline script is blocked and reported.
    await ada.page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'globalThis.__inlineRan = true';
      document.body.append(script);
    });
    await ada.page.waitForFunction(() => ((globalThis as { __cspViolations?: unknown[] }).__cspViolations ?? []).length > 0, { timeout: 5000 });
    expect(await ada.page.evaluate(() => (globalThis as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    expect((await ada.violations()).events[0]).toMatchObject({ directive: expect.stringMatching(/^script-src/), blocked: 'inline' });
  });

  it('Firefox runs the page and its signalling socket under the policy too', async () => {
    // Media needs host candidates Firefox does not gather on loopback (see test-host.ts); the page, its
    // script and styles, camera preview and the /ws socket (connect-src 'self') are what is checked here.
    const firefox = await launchBrowser({ browser: 'firefox' });
    try {
      const linus = await participant(firefox);
      await linus.page.goto(`${server.baseUrl}/?room=${ROOM}-ff&name=Linus`);
      await waitJoined(linus.page);
      expect(await linus.violations()).toEqual({ events: [], console: [] });
    } finally {
      await firefox.close();
    }
  });
});
