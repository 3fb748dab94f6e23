/**
 * Test browsers driven by puppeteer, with fake camera and microphone: Debian's Chromium (the default)
 * or Firefox ESR (over WebDriver BiDi). Each participant gets its own incognito-like browser context in
 * one browser process (cheaper than a browser per participant). Profile and $HOME writes go to a temp dir
 * so tests leave nothing behind. puppeteer never downloads a browser (.puppeteerrc.cjs): both come from Debian.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import puppeteer, { type Browser, type LaunchOptions, type Page } from 'puppeteer';
import { BASE_CHROMIUM_ARGS } from '../loadtest/src/bots/browser/chromium-flags';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export type BrowserName = 'chromium' | 'firefox';

/** The switches browser bots use too (fake media, loopback candidates, no background throttling). */
export const CHROMIUM_ARGS = BASE_CHROMIUM_ARGS;

/**
 * Firefox prefs: fake camera and microphone without a prompt, autoplay, and getUserMedia on plain-http
 * non-localhost origins (test hosts). Background-tab throttling off: every participant but one is a
 * background tab, and Firefox would otherwise stop decoding their video after a few seconds.
 */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.block-webaudio': false,
  'media.block-autoplay-until-in-foreground': false,
  'media.devices.insecure.enabled': true,
  'media.getusermedia.insecure.enabled': true,
  'media.suspend-bkgnd-video.enabled': false,
  'dom.min_background_timeout_value': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
};

export interface LaunchBrowserOptions {
  /** Default 'chromium'. */
  browser?: BrowserName;
  /**
   * Plain-http origins (e.g. a test host's `http://10.x.y.2:3000`) where getUserMedia must work. Browsers
   * allow capture only on https or localhost; Chromium needs each origin named, Firefox allows all
   * insecure origins through FIREFOX_PREFS.
   */
  secureOrigins?: string[];
  /** Extra Chromium command-line switches (ignored for Firefox), e.g. `--ignore-certificate-errors`. */
  chromiumArgs?: string[];
  /**
   * Firefox: accept any TLS certificate (a test server's self-signed one), through WebDriver BiDi's
   * `acceptInsecureCerts` session capability. Chromium: use `chromiumArgs: ['--ignore-certificate-errors']`.
   */
  acceptInsecureCerts?: boolean;
  /** Firefox: prefs merged over FIREFOX_PREFS (e.g. the insecure-capture ones set to false, for https tests). */
  firefoxPrefs?: Record<string, unknown>;
}

export interface TestBrowser {
  name: BrowserName;
  browser: Browser;
  newParticipant(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<TestBrowser> {
  const name = options.browser ?? 'chromium';
  const executablePath = name === 'firefox' ? FIREFOX_PATH : CHROMIUM_PATH;
  if (!fs.existsSync(executablePath)) {
    const variable = name === 'firefox' ? 'FIREFOX_PATH' : 'CHROMIUM_PATH';
    throw new Error(`${name} not found at ${executablePath}: run \`node scripts/setup.mjs --for-tests\` or set ${variable}`);
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `confero-${name}-`));
  const common: LaunchOptions = {
    executablePath,
    headless: true,
    userDataDir: path.join(home, 'profile'),
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    protocolTimeout: 60_000,
  };
  const secure = options.secureOrigins?.length ? [`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigins.join(',')}`] : [];
  let browser: Browser;
  try {
    browser = await puppeteer.launch(
      name === 'firefox'
        ? {
            ...common,
            browser: 'firefox',
            extraPrefsFirefox: { ...FIREFOX_PREFS, ...options.firefoxPrefs },
            ...(options.acceptInsecureCerts ? { acceptInsecureCerts: true } : {}),
          }
        : { ...common, browser: 'chrome', args: [...CHROMIUM_ARGS, ...secure, ...(options.chromiumArgs ?? [])] },
    );
  } catch (error) {
    fs.rmSync(home, { recursive: true, force: true });
    throw error;
  }
  return {
    name,
    browser,
    async newParticipant() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 960, height: 640 });
      page.on('pageerror', (error) => process.stderr.write(`[page error] ${String(error)}\n`));
      return page;
    },
    async close() {
      try {
        // Bounded: a browser that hangs on close must not hang afterAll; kill it instead.
        const closed = browser.close().then(
          () => true,
          () => false,
        );
        const timeout = sleep(15_000, false, { ref: false });
        if (!(await Promise.race([closed, timeout]))) browser.process()?.kill('SIGKILL');
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
  };
}
