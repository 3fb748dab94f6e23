/**
 * Where a browser join's time goes: one Chromium page at a time joins a room with two publishing
 * bots, and a tracer injected before the page's own scripts timestamps every step of the join — each
 * signalling request and its answer, notifications, SDP calls, ICE and DTLS states of both peer
 * connections, the first packet of each remote track (its `unmute`) and the first video frame presented
 * (requestVideoFrameCallback). Prints each join's timeline from the socket's opening and the median of the
 * milestones over all joins.
 *
 *   npx tsx bench/src/ttff/trace.ts [--joins 5] [--port-base 13500] [--publishers browser]
 *
 * The two publishers are sim bots sending recorded VP8/Opus, as in the bench (publishers.ts says why);
 * `--publishers browser` makes them Chromium pages instead.
 *
 * A development tool for the join path (npm run bench measures TTFF at rates; this says why it is what it is).
 */
import puppeteer from 'puppeteer';
import { BASE_CHROMIUM_ARGS } from '../../../loadtest/src/bots/browser/chromium-flags';
import { resolveChromium } from '../../../loadtest/src/bots/browser/chromium-path';
import { botPageFor } from '../../../loadtest/src/bots/browser/page-url';
import { percentile } from '../../../loadtest/src/stats';
import { startServer } from '../server-process';
import { createPublisherFactory, startRoom } from './publishers';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOM = 'trace';

/** Runs in the page before its scripts: wraps WebSocket and RTCPeerConnection to log what happens when. */
const TRACER = String.raw`(() => {
  const t0 = performance.now();
  const events = (globalThis.__trace = []);
  const log = (what) => events.push({ at: performance.now() - t0, what });
  const pending = new Map();

  const NativeWebSocket = globalThis.WebSocket;
  globalThis.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => log('ws open'));
      this.addEventListener('message', (e) => {
        try {
          const m = JSON.parse(e.data);
          if (m.id !== undefined && pending.has(m.id)) log('← ' + pending.get(m.id) + (m.ok === false ? ' (error)' : ''));
          else if (m.method) log('⇐ ' + m.method + (m.data && m.data.kind ? ' ' + m.data.kind : ''));
        } catch {}
      });
    }
    send(data) {
      try {
        const m = JSON.parse(data);
        if (m.id !== undefined && m.method) {
          pending.set(m.id, m.method);
          log('→ ' + m.method + (m.data && m.data.direction ? ' ' + m.data.direction : ''));
        }
      } catch {}
      return super.send(data);
    }
  };

  let pcs = 0;
  const NativePc = globalThis.RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends NativePc {
    constructor(...args) {
      super(...args);
      const n = 'pc' + ++pcs;
      log(n + ' created');
      this.addEventListener('iceconnectionstatechange', () => log(n + ' ice ' + this.iceConnectionState));
      this.addEventListener('connectionstatechange', () => log(n + ' dtls ' + this.connectionState));
      this.addEventListener('track', (e) => {
        const track = e.track;
        // mediasoup-client's bandwidth probator is a receiver too (track id 'probator'): not media.
        const what = track.id === 'probator' ? 'probation' : track.kind;
        track.addEventListener('unmute', () => log(n + ' first packet ' + what), { once: true });
      });
      for (const name of ['setRemoteDescription', 'setLocalDescription', 'createAnswer', 'createOffer']) {
        const native = this[name].bind(this);
        this[name] = async (...a) => {
          log(n + ' ' + name + ' start');
          try { return await native(...a); } finally { log(n + ' ' + name + ' end'); }
        };
      }
    }
  };

  const watched = new WeakSet();
  const timer = setInterval(() => {
    for (const video of document.querySelectorAll('video[data-peer-id]')) {
      if (watched.has(video) || typeof video.requestVideoFrameCallback !== 'function') continue;
      watched.add(video);
      log('video element ' + video.dataset.peerId.slice(0, 8));
      video.requestVideoFrameCallback(() => log('first frame ' + video.dataset.peerId.slice(0, 8)));
    }
  }, 5);
  setTimeout(() => clearInterval(timer), 60000);
})();`;

interface TraceEvent {
  at: number;
  what: string;
}

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} takes a positive whole number`);
  return value;
};

/** Milestones reported as medians: the first event matching each, from the socket's opening. */
const MILESTONES: [string, RegExp][] = [
  ['join answered', /^← join$/],
  ['recv transport answered', /^← createTransport$/],
  ['newConsumer video', /^⇐ newConsumer video$/],
  ['recv SDP applied', /^pc\d+ setLocalDescription end$/],
  ['ICE connected', /^pc\d+ ice connected$/],
  ['DTLS connected', /^pc\d+ dtls connected$/],
  ['resumeConsumer answered', /^← resumeConsumer$/],
  ['first video packet', /^pc\d+ first packet video$/],
  ['first frame', /^first frame /],
];

async function main(): Promise<void> {
  const joins = arg('--joins', 5);
  const portBase = arg('--port-base', 13500);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const server = await startServer({ portBase, log });
  const publishers = createPublisherFactory(process.argv.includes('browser') ? 'browser' : 'sim', log);
  const chromium = await resolveChromium({ log });
  const browser = await puppeteer.launch({ executablePath: chromium.executablePath, headless: true, args: [...BASE_CHROMIUM_ARGS, '--mute-audio'] });
  try {
    await startRoom(publishers, server.wsUrl, ROOM);
    const timelines: TraceEvent[][] = [];
    for (let i = 0; i <= joins; i++) {
      const context = await browser.createBrowserContext();
      try {
        const page = await context.newPage();
        await page.evaluateOnNewDocument(TRACER);
        await page.goto(botPageFor({ url: server.wsUrl, room: ROOM, name: `traced-${i}`, publish: null }).url);
        await page.waitForFunction(() => (globalThis as unknown as { __trace: TraceEvent[] }).__trace.some((e) => e.what.startsWith('first frame')), {
          timeout: 20_000,
        });
        const events = await page.evaluate(() => (globalThis as unknown as { __trace: TraceEvent[] }).__trace);
        const open = events.find((e) => e.what === 'ws open')?.at ?? 0;
        const timeline = events.map((e) => ({ at: Math.round((e.at - open) * 10) / 10, what: e.what }));
        // The first join pays for the browser's and the server's warm-up: shown, not counted.
        if (i > 0) timelines.push(timeline);
        process.stdout.write(
          `\njoin ${i}${i === 0 ? ' (warm-up, not counted)' : ''}:\n${timeline.map((e) => `  ${e.at.toFixed(1).padStart(8)} ms  ${e.what}`).join('\n')}\n`,
        );
      } finally {
        await context.close();
      }
      await sleep(500);
    }
    process.stdout.write(`\nmedians over ${timelines.length} joins, ms from the signalling socket's opening:\n`);
    for (const [name, pattern] of MILESTONES) {
      const values = timelines.flatMap((t) => t.find((e) => pattern.test(e.what))?.at ?? []);
      const median = percentile(values, 50) ?? NaN;
      process.stdout.write(`  ${name.padEnd(26)} ${median.toFixed(1).padStart(8)}  (${values.length} joins)\n`);
    }
  } finally {
    await browser.close().catch(() => undefined);
    await publishers.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`trace failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
