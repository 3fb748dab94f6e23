/**
 * One browser bot: a page of the real Confero client in its own browser context, joined through the
 * invite link with switches (?room=&name=&video=&audio=&simulcast=), measured by the page probe.
 *
 * States: 'starting' until the page is in the room (body[data-state] = joined) with its own tracks
 * published, then 'joined'; 'failed' with a reason when the page cannot join (the server refused, a page error, no camera
 * when asked to publish, a timeout, a crashed page or browser) or when the session later gives up
 * reconnecting; 'closed' after close(). A failed bot leaves the room at once, so it is no ghost
 * participant; its last measurements stay in snapshot().
 */
import type { ConsoleMessage, Page } from 'puppeteer';
import type { Bot, BotSnapshot, BotSpec, BotState, StreamStats } from '../types';
import type { BrowserLease, BrowserPool } from './launcher';
import { botPageFor } from './page-url';
import { installProbe, readProbe, type ProbeReading } from './page-probe';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BrowserBotSettings {
  pool: BrowserPool;
  log: (line: string) => void;
  /** From opening the page to joined (published included). */
  joinTimeoutMs: number;
  /** How often the page's stats are read. */
  pollIntervalMs: number;
}

/** leave() waits up to 1.5 s for the server's answer; give it that and a little more. */
const LEAVE_TIMEOUT_MS = 2_000;
/** Consecutive failed polls of a page that is still open before the bot counts as failed. */
const MAX_POLL_ERRORS = 3;

class BotClosedError extends Error {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class BrowserBot implements Bot {
  readonly spec: BotSpec;
  readonly #settings: BrowserBotSettings;
  #state: BotState = 'starting';
  #error: string | undefined;
  #reading: ProbeReading | null = null;
  /**
   * The earliest first frame of any video stream, and of any audio stream, ever received: kept when the
   * stream ends (its publisher left). firstMediaAt is the video one once any video stream appeared.
   */
  readonly #first: { video?: number; audio?: number; sawVideo: boolean } = { sawVideo: false };
  /** The browser slot, once asked for; release() waits for it even if start() stopped waiting. */
  #leasing: Promise<BrowserLease> | undefined;
  #page: Page | undefined;
  #poller: NodeJS.Timeout | undefined;
  #polling = false;
  #pollErrors = 0;
  /** The page's own warnings about its devices ("camera unavailable …") while starting. */
  readonly #startWarnings: string[] = [];
  #started: Promise<void> | undefined;
  /** prepare(): the page is open at its join form. */
  #prepared: Promise<Page> | undefined;
  #released: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Rejects when the bot fails or is closed while starting, so start() stops waiting at once. */
  readonly #stopped: Promise<never>;
  #stop!: (error: Error) => void;

  constructor(spec: BotSpec, settings: BrowserBotSettings) {
    this.spec = spec;
    this.#settings = settings;
    this.#stopped = new Promise<never>((_, reject) => (this.#stop = reject));
    this.#stopped.catch(() => undefined);
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  prepare(): Promise<void> {
    if (this.#started) return Promise.resolve(); // start() already opened the page at the invite link
    this.#prepared ??= this.#open(true);
    return this.#prepared.then(() => undefined);
  }

  snapshot(): BotSnapshot {
    const reading = this.#reading;
    // The streams received now; a stream that ended (its publisher left) is no longer listed.
    const streams: StreamStats[] = (reading?.streams ?? []).map((s) => ({
      peerId: s.peerId,
      kind: s.kind,
      packets: s.packets,
      bytes: s.bytes,
      lost: s.lost,
      jitterMs: s.jitterMs,
      ...(s.rttMs !== undefined ? { rttMs: s.rttMs } : {}),
      ...(s.firstAt !== undefined ? { firstAt: s.firstAt } : {}),
      ...(s.freezeCount !== undefined ? { freezeCount: s.freezeCount, freezeMs: s.freezeMs ?? 0 } : {}),
    }));
    const firstMedia = this.#first.sawVideo ? this.#first.video : this.#first.audio;
    return {
      name: this.spec.name,
      room: this.spec.room,
      state: this.#state,
      ...(this.#error !== undefined ? { error: this.#error } : {}),
      ...(reading?.peerId ? { peerId: reading.peerId } : {}),
      ...(reading?.wsOpenAt !== undefined ? { wsOpenAt: reading.wsOpenAt } : {}),
      ...(reading?.joinedAt !== undefined ? { joinedAt: reading.joinedAt } : {}),
      ...(firstMedia !== undefined ? { firstMediaAt: firstMedia } : {}),
      sent: { ...(reading?.sent ?? { packets: 0, bytes: 0 }) },
      streams,
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#state === 'starting') this.#stop(new BotClosedError('closed while starting'));
      await this.#release(true);
      this.#state = 'closed';
    })();
    return this.#closing;
  }

  async #start(): Promise<void> {
    try {
      const prepared = this.#prepared;
      const page = prepared ? await Promise.race([prepared, this.#stopped]) : await this.#open(false);
      const deadline = Date.now() + this.#settings.joinTimeoutMs;
      if (prepared) {
        this.#startPolling(page);
        // What a person does on the join form: type the name, press Join.
        await page.evaluate((name) => {
          const input = document.querySelector<HTMLInputElement>('input[name="name"]')!;
          input.value = name;
          input.form!.requestSubmit();
        }, this.spec.name);
      }
      await Promise.race([this.#waitForOutcome(page, deadline), this.#stopped]);
    } catch (error) {
      if (!(error instanceof BotClosedError)) this.#fail(messageOf(error));
      throw new Error(`bot ${this.spec.name}: ${this.#error ?? messageOf(error)}`);
    }
  }

  /** A page of its own with the probe, loaded at the invite link — or at the join form, to join later. */
  async #open(joinForm: boolean): Promise<Page> {
    if (this.#closing) throw new BotClosedError('closed before it started');
    const target = botPageFor(this.spec, joinForm);
    this.#leasing = this.#settings.pool.acquire(target.origin);
    this.#leasing.catch(() => undefined);
    const lease = await Promise.race([this.#leasing, this.#stopped]);
    const page = await lease.context.newPage();
    this.#page = page;
    this.#watchPage(page);
    await installProbe(page);
    // A page waiting at its join form has nothing to report yet: start() starts reading it.
    if (!joinForm) this.#startPolling(page);
    const loading = page.goto(target.url, { waitUntil: 'domcontentloaded', timeout: this.#settings.joinTimeoutMs }).catch((error: unknown) => {
      throw new Error(`could not load ${target.url}: ${messageOf(error)}`);
    });
    await Promise.race([loading, this.#stopped]);
    if (joinForm) {
      const ready = page.waitForSelector('form input[name="name"]', { timeout: this.#settings.joinTimeoutMs }).catch((error: unknown) => {
        throw new Error(`no join form at ${target.url}: ${messageOf(error)}`);
      });
      await Promise.race([ready, this.#stopped]);
    }
    return page;
  }

  /**
   * Waits until the page has joined or given up, then until it publishes what it was asked to. The page
   * shows 'joined' as soon as it is in the room and publishes after that; a camera or microphone that
   * fails only gets a warning there, which the probe (getUserMedia errors) and the console reveal.
   */
  async #waitForOutcome(page: Page, deadline: number): Promise<void> {
    try {
      await page.waitForFunction('["joined", "error"].includes(document.body && document.body.dataset.state)', {
        polling: 200,
        timeout: Math.max(1, deadline - Date.now()),
      });
    } catch (error) {
      const state = await page.evaluate('document.body && document.body.dataset.state').catch(() => undefined);
      throw new Error(`not joined within ${this.#settings.joinTimeoutMs} ms (page state: ${String(state ?? 'loading')}; ${messageOf(error)})`);
    }
    const wanted = [...(this.spec.publish?.audio ? ['mic'] : []), ...(this.spec.publish?.video ? ['webcam'] : [])];
    for (;;) {
      const reading = await readProbe(page);
      if (reading) this.#record(reading);
      if (!reading || reading.pageState === 'error') throw new Error(`join failed: ${reading?.pageMessage ?? 'the page reported an error'}`);
      const missing = wanted.filter((source) => !reading.published.includes(source));
      if (missing.length === 0) break;
      const problems = [...reading.captureErrors, ...this.#startWarnings];
      if (problems.length > 0 || Date.now() > deadline) {
        const why = problems.length > 0 ? `: ${problems.join('; ')}` : ` within ${this.#settings.joinTimeoutMs} ms`;
        throw new Error(`joined but could not publish ${missing.join(' and ')}${why}`);
      }
      await sleep(200);
    }
    if (this.#state === 'starting') this.#state = 'joined';
  }

  #watchPage(page: Page): void {
    page.on('pageerror', (error) => {
      const text = `page error: ${messageOf(error)}`;
      if (this.#state === 'starting') this.#fail(text);
      else if (this.#state === 'joined') this.#settings.log(`${this.spec.name}: ${text}`);
    });
    // Puppeteer's 'error' on a page means the page crashed.
    page.on('error', (error) => this.#fail(`page crashed: ${messageOf(error)}`));
    const onConsole = (message: ConsoleMessage): void => {
      if (this.#state !== 'starting') return void page.off('console', onConsole);
      if (message.type() === 'warn' && /unavailable/.test(message.text()) && this.#startWarnings.length < 5) this.#startWarnings.push(message.text());
    };
    page.on('console', onConsole);
  }

  #startPolling(page: Page): void {
    const poll = async (): Promise<void> => {
      if (this.#polling || page.isClosed()) return;
      this.#polling = true;
      try {
        const reading = await readProbe(page);
        this.#pollErrors = 0;
        if (reading) this.#record(reading);
        if (reading?.sessionFailure && this.#state === 'joined') this.#fail(`left the call: ${reading.sessionFailure}`);
      } catch (error) {
        if (this.#state === 'closed' || this.#closing || this.#released) return;
        if (!page.browser().connected) this.#fail('the browser exited');
        else if (page.isClosed()) this.#fail('the page was closed');
        else if (++this.#pollErrors >= MAX_POLL_ERRORS) this.#fail(`page does not answer: ${messageOf(error)}`);
      } finally {
        this.#polling = false;
      }
    };
    this.#poller = setInterval(() => void poll(), this.#settings.pollIntervalMs);
    this.#poller.unref();
  }

  #record(reading: ProbeReading): void {
    this.#reading = reading;
    for (const stream of reading.streams) {
      if (stream.kind === 'video') this.#first.sawVideo = true;
      if (stream.firstAt !== undefined) this.#first[stream.kind] = Math.min(this.#first[stream.kind] ?? Infinity, stream.firstAt);
    }
  }

  /** Marks the bot failed (once), stops a running start(), and takes its page out of the room. */
  #fail(reason: string): void {
    if (this.#state !== 'starting' && this.#state !== 'joined') return;
    if (this.#closing) return;
    this.#state = 'failed';
    this.#error = reason;
    this.#settings.log(`${this.spec.name}: failed: ${reason}`);
    this.#stop(new Error(reason));
    void this.#release(false);
  }

  /** Stops polling, leaves the call (politely when asked and possible) and gives the browser slot back. */
  #release(leave: boolean): Promise<void> {
    this.#released ??= (async () => {
      clearInterval(this.#poller);
      const page = this.#page;
      if (leave && page && !page.isClosed() && this.#state === 'joined') {
        const left = page.evaluate('globalThis.confero && globalThis.confero.session && globalThis.confero.session.leave()');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([left.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, LEAVE_TIMEOUT_MS)))]);
        clearTimeout(timer);
      }
    })()
      .catch(() => undefined)
      .then(async () => (await this.#leasing?.catch(() => undefined))?.release());
    return this.#released;
  }
}
