/**
 * Debian's Chromium driven by puppeteer-core, with fake camera and microphone. Each participant gets its
 * own incognito-like browser context in one browser process (cheaper than a browser per participant).
 * Chromium's profile and $HOME writes go to a temp dir so tests leave nothing behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Chromium gathers no loopback ICE candidates without this; our SFU and tests live on 127.0.0.1.
  '--allow-loopback-in-peer-connection',
  // Background tabs must keep decoding and rendering: every participant is a background page here.
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--autoplay-policy=no-user-gesture-required',
];

export interface TestBrowser {
  browser: Browser;
  newParticipant(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    userDataDir: path.join(home, 'profile'),
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    protocolTimeout: 60_000,
  });
  return {
    browser,
    async newParticipant() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 960, height: 640 });
      page.on('pageerror', (error) => process.stderr.write(`[page error] ${String(error)}\n`));
      return page;
    },
    async close() {
      await browser.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
