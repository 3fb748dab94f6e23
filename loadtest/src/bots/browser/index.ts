/**
 * Browser bots for `npm run loadtest -- --bots browser`: each bot is a page of the real Confero client in
 * Chromium (puppeteer), with a fake camera playing a moving clip and the fake microphone's tone.
 * Several bots share one browser process (botsPerBrowser), each in its own browser context.
 *
 *   chromium-path.ts   which Chromium: option, CHROMIUM_PATH, /usr/bin/chromium, Chrome for Testing
 *   chromium-flags.ts  the switches (fake devices, loopback ICE, no background throttling)
 *   clip.ts            the fake camera's y4m clip, generated and cached
 *   launcher.ts        browsers shared by bots, temp profiles
 *   page-url.ts        spec → the page's invite link
 *   page-probe.ts      the in-page measurements
 *   browser-bot.ts     one bot: start, state, snapshot, close
 */
import type { BotFactory, BotSpec } from '../types';
import { BrowserBot } from './browser-bot';
import { resolveChromium } from './chromium-path';
import { ensureClip } from './clip';
import { BrowserPool } from './launcher';

export interface BrowserBotFactoryOptions {
  /** Bots (pages) per Chromium process; a new browser is launched when the current ones are full. */
  botsPerBrowser: number;
  /** Chromium binary; default CHROMIUM_PATH, else /usr/bin/chromium, else a Chrome for Testing download. */
  chromiumPath?: string;
  log?: (line: string) => void;
  /** From opening the page to joined with tracks published. Default 30 s. */
  joinTimeoutMs?: number;
  /** How often each page's stats are read. Default 1 s. */
  pollIntervalMs?: number;
}

export interface BrowserBotFactory extends BotFactory {
  /** Main process ids of the running browsers (for resource measurements). */
  browserPids(): number[];
  /** Browsers running or launching. */
  readonly browserCount: number;
}

export function createBrowserBotFactory(options: BrowserBotFactoryOptions): BrowserBotFactory {
  const log = options.log ?? (() => undefined);
  const joinTimeoutMs = options.joinTimeoutMs ?? 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  for (const [name, value] of Object.entries({ joinTimeoutMs, pollIntervalMs })) {
    if (!Number.isFinite(value) || value < 100) throw new Error(`${name} must be a number of milliseconds ≥ 100, got ${value}`);
  }
  // Both resolved on the first launch, once per factory: a failed download is not retried per bot.
  let executable: Promise<string> | undefined;
  let clip: string | undefined;
  const pool = new BrowserPool({
    botsPerBrowser: options.botsPerBrowser,
    executablePath: () =>
      (executable ??= resolveChromium({ ...(options.chromiumPath ? { chromiumPath: options.chromiumPath } : {}), log }).then((found) => {
        log(`browser bots run ${found.executablePath} (${found.source})`);
        return found.executablePath;
      })),
    clipPath: () => (clip ??= ensureClip()),
    log,
  });
  const bots = new Set<BrowserBot>();
  return {
    create(spec: BotSpec) {
      const bot = new BrowserBot(spec, { pool, log, joinTimeoutMs, pollIntervalMs });
      bots.add(bot);
      return bot;
    },
    async close() {
      await Promise.all([...bots].map((bot) => bot.close()));
      await pool.close();
    },
    browserPids: () => pool.browserPids(),
    get browserCount() {
      return pool.browserCount;
    },
  };
}
