/**
 * The Chromium processes behind browser bots. Several bots share one browser (each in its own browser
 * context, i.e. its own cookies, storage and page): a browser costs ~10 fixed processes, a page about one
 * renderer. A browser is launched when no running one has a free slot, and closed when its last bot
 * leaves. Each browser gets a temp HOME and profile, removed when it closes, so a run leaves nothing
 * behind in the user's home.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type BrowserContext } from 'puppeteer';
import { botChromiumArgs } from './chromium-flags';

export interface BrowserPoolOptions {
  botsPerBrowser: number;
  /** Resolved once, on the first launch (it may download a browser). */
  executablePath: () => Promise<string>;
  /** The fake camera's clip; made on the first launch. */
  clipPath: () => string;
  log: (line: string) => void;
}

/** A bot's share of a browser: its own context, returned with release(). */
export interface BrowserLease {
  context: BrowserContext;
  /** Closes the context; the last lease of a browser closes the browser. Never throws. */
  release(): Promise<void>;
}

interface PoolEntry {
  id: number;
  /** Only bots of one origin share a browser: capture permission for http origins is a launch switch. */
  origin: string;
  /** Bots holding (or about to hold) a slot. */
  bots: number;
  home: string;
  launched: Promise<Browser>;
  browser?: Browser;
  /** Set when the browser is closing or gone: no new bots go there. */
  retired: boolean;
  closed?: Promise<void>;
}

const CONTEXT_CLOSE_TIMEOUT_MS = 5_000;
const BROWSER_CLOSE_TIMEOUT_MS = 10_000;

/** Resolves with true if `promise` settles within `ms`, false otherwise; never rejects. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class BrowserPool {
  readonly #options: BrowserPoolOptions;
  /** Every browser not yet fully closed (retired ones included, until their profile is gone). */
  readonly #entries: PoolEntry[] = [];
  #nextId = 1;
  #closed = false;
  /** If the process exits without close(): no browser and no temp profile outlives it. */
  readonly #exitCleanup = (): void => {
    for (const entry of this.#entries) {
      try {
        entry.browser?.process()?.kill('SIGKILL');
        fs.rmSync(entry.home, { recursive: true, force: true });
      } catch {
        // exiting anyway: nothing more to do
      }
    }
  };

  constructor(options: BrowserPoolOptions) {
    if (!Number.isInteger(options.botsPerBrowser) || options.botsPerBrowser < 1) {
      throw new Error(`botsPerBrowser must be a whole number ≥ 1, got ${options.botsPerBrowser}`);
    }
    this.#options = options;
    process.on('exit', this.#exitCleanup);
  }

  /** Process ids of the running browsers (their main process). */
  browserPids(): number[] {
    return this.#entries.flatMap((e) => (!e.retired && e.browser?.process()?.pid !== undefined ? [e.browser.process()!.pid!] : []));
  }

  /** How many browsers are running or launching. */
  get browserCount(): number {
    return this.#entries.filter((e) => !e.retired).length;
  }

  async acquire(origin: string): Promise<BrowserLease> {
    if (this.#closed) throw new Error('the browser bot factory is closed');
    // The slot is taken synchronously, so bots starting together fill a browser before the next launches.
    const entry = this.#entries.find((e) => e.origin === origin && !e.retired && e.bots < this.#options.botsPerBrowser) ?? this.#launch(origin);
    entry.bots++;
    let context: BrowserContext | undefined;
    try {
      const browser = await entry.launched;
      if (entry.retired) throw new Error('the browser closed while the bot was starting');
      context = await browser.createBrowserContext();
    } catch (error) {
      await this.#release(entry, undefined);
      throw error;
    }
    let released: Promise<void> | undefined;
    return { context, release: () => (released ??= this.#release(entry, context)) };
  }

  /** Closes every browser, whether bots still use it or not, and removes the temp dirs. Never throws. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#entries].map((entry) => this.#closeBrowser(entry)));
    process.off('exit', this.#exitCleanup);
  }

  #launch(origin: string): PoolEntry {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-loadtest-chromium-'));
    const entry = { id: this.#nextId++, origin, bots: 0, home, retired: false } as PoolEntry; // `launched` is set right below
    entry.launched = this.#startBrowser(entry);
    entry.launched.catch(() => void this.#closeBrowser(entry));
    this.#entries.push(entry);
    return entry;
  }

  async #startBrowser(entry: PoolEntry): Promise<Browser> {
    const { id, home, origin } = entry;
    const executablePath = await this.#options.executablePath();
    const browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: path.join(home, 'profile'),
      // Chromium writes under $HOME (~/.config, ~/.cache, pulse) even with a profile dir.
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
      args: botChromiumArgs({ clipPath: this.#options.clipPath(), origin }),
      // The page's tiles pick simulcast layers by their rendered size: a laptop-sized window.
      defaultViewport: { width: 1280, height: 720 },
      protocolTimeout: 60_000,
      // The runner owns the signals: on Ctrl-C it closes the bots and still writes its report, which
      // puppeteer's own handlers (kill the browser, process.exit) would prevent. Process exit still
      // kills the browsers (puppeteer, and #exitCleanup).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    entry.browser = browser;
    browser.on('disconnected', () => {
      if (!entry.retired) this.#options.log(`browser ${id} (pid ${browser.process()?.pid}) exited unexpectedly`);
      void this.#closeBrowser(entry);
    });
    this.#options.log(`browser ${id} launched (pid ${browser.process()?.pid}, ${origin})`);
    return browser;
  }

  async #release(entry: PoolEntry, context: BrowserContext | undefined): Promise<void> {
    if (context && !entry.retired) {
      const closing = context.close().catch(() => undefined);
      if (!(await settlesWithin(closing, CONTEXT_CLOSE_TIMEOUT_MS)))
        this.#options.log(`browser ${entry.id}: a bot's context did not close within ${CONTEXT_CLOSE_TIMEOUT_MS} ms`);
    }
    entry.bots--;
    if (entry.bots <= 0) await this.#closeBrowser(entry);
  }

  /** Bounded: a browser that hangs on close is killed, so a run always ends. */
  #closeBrowser(entry: PoolEntry): Promise<void> {
    entry.retired = true;
    entry.closed ??= (async () => {
      const browser = await entry.launched.catch(() => undefined);
      if (browser) {
        const child = browser.process();
        const exited =
          child && child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve();
        if (!(await settlesWithin(browser.close(), BROWSER_CLOSE_TIMEOUT_MS))) {
          this.#options.log(`browser ${entry.id} did not close within ${BROWSER_CLOSE_TIMEOUT_MS} ms: killing it`);
          child?.kill('SIGKILL');
        }
        await settlesWithin(exited, BROWSER_CLOSE_TIMEOUT_MS);
      }
      try {
        fs.rmSync(entry.home, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        this.#options.log(`browser ${entry.id}: could not remove ${entry.home}: ${(error as Error).message}`);
      }
      const index = this.#entries.indexOf(entry);
      if (index >= 0) this.#entries.splice(index, 1);
    })();
    return entry.closed;
  }
}
