/**
 * Worker crash recovery, measured from the pages: a real server (in this process, real mediasoup workers),
 * two Chromium pages in one room, and N times: SIGKILL the room's worker → both pages show frames again.
 * Prints each recovery (kill → frames advancing on every page), min/median/max, a per-kill timeline
 * (server: death detected, room closed, joins, new router, DTLS; pages: roomClosed, rejoin, joined, media
 * connected, first frames), and writes it all as JSON.
 *
 *   npx tsx bench/worker-crash.ts --kills 5 [--workers 2] [--rtc-base-port 45000] [--out bench/results/worker-crash.json]
 *
 * Needs the built client (npm start/npm test build it; or `npx vite build client`) and Chromium.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Page } from 'puppeteer';
import type { types } from 'mediasoup';
import { loadConfig } from '../server/src/config';
import { WorkerPool, type WorkerSlot } from '../server/src/media/worker-pool';
import { buildApp } from '../server/src/app';
import { launchBrowser } from '../testkit/browser';
import { waitFramesAdvance, waitJoined } from '../testkit/page-probes';
import { armRecoveryProbe, formatTimeline, pagePeerId, waitRecovered, FRAMES_ADVANCING, type TimelineEvent } from '../testkit/recovery-probe';
import { until } from '../testkit/until';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RECOVERY_TIMEOUT_MS = 30_000;

interface Options {
  kills: number;
  workers: number;
  rtcBasePort: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { kills: 5, workers: 2, rtcBasePort: 45000, out: path.join(ROOT, 'bench/results/worker-crash.json') };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const int = (min: number, max: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) usage(`${flag} needs an integer from ${min} to ${max}, got ${value ?? 'nothing'}`);
      i++;
      return n;
    };
    if (flag === '--kills') options.kills = int(1, 1000);
    else if (flag === '--workers') options.workers = int(1, 64);
    else if (flag === '--rtc-base-port') options.rtcBasePort = int(1024, 60000);
    else if (flag === '--out' && value) ((options.out = path.resolve(value)), i++);
    else usage(`unknown option ${flag}`);
  }
  return options;
}

function usage(problem: string): never {
  process.stderr.write(`worker-crash: ${problem}\nusage: npx tsx bench/worker-crash.ts [--kills N] [--workers N] [--rtc-base-port P] [--out FILE]\n`);
  process.exit(2);
}

/** Server-side events with their time, from the log (joins, room closes) and from mediasoup observers. */
class ServerTimeline {
  readonly events: TimelineEvent[] = [];

  /** A pino destination that keeps the lines worth a timeline entry. */
  logStream(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString().split('\n')) {
          if (!line) continue;
          try {
            const record = JSON.parse(line) as { time: number; msg: string; worker?: number; reason?: string; room?: string };
            if (/room closed|peer joined|worker died|worker started|cannot open room/.test(record.msg)) {
              const extra = [record.reason, record.worker !== undefined ? `worker ${record.worker}` : undefined].filter(Boolean).join(', ');
              this.add(`${record.msg}${extra ? ` (${extra})` : ''}`, record.time);
            }
          } catch {
            // not a JSON line
          }
        }
        done();
      },
    });
  }

  add(what: string, at = Date.now()): void {
    this.events.push({ at, what });
  }

  /** Routers and their transports' DTLS on this worker, as they come. */
  watch(slot: WorkerSlot): void {
    slot.worker.observer.on('newrouter', (router) => {
      this.add(`router created (worker ${slot.index})`);
      router.observer.on('newtransport', (transport) => {
        const webRtc = transport as types.WebRtcTransport;
        const direction = (transport.appData as { direction?: string }).direction ?? '?';
        webRtc.observer.on('dtlsstatechange', (state) => {
          if (state === 'connected') this.add(`dtls connected (${direction}, worker ${slot.index})`);
        });
        transport.observer.on('newproducer', (producer) => this.traceKeyFrames(producer, 'producer'));
        transport.observer.on('newconsumer', (consumer) => {
          this.traceKeyFrames(consumer, 'consumer');
          if (consumer.kind !== 'video') return;
          const name = `video consumer ${consumer.id.slice(0, 4)}`;
          consumer.observer.on('resume', () => this.add(`${name} resumed`));
          consumer.observer.on('layerschange', (layers) => this.add(`${name} layers ${layers ? `${layers.spatialLayer}/${layers.temporalLayer}` : 'none'}`));
        });
      });
    });
  }

  /**
   * Keyframe requests (PLI/FIR) and keyframes through a video producer or consumer (named by the first
   * characters of its id), over its first seconds: where a new consumer waits for its first picture.
   */
  traceKeyFrames(entity: types.Producer | types.Consumer, what: string): void {
    if (entity.kind !== 'video') return;
    const until = Date.now() + 4000;
    void entity.enableTraceEvent(['keyframe', 'pli', 'fir']).catch(() => undefined);
    (entity as types.Producer).on('trace', (trace) => {
      if (Date.now() > until) return;
      const info = trace.info as { rtpPacket?: { ssrc?: number; rid?: string }; ssrc?: number };
      const ssrc = info.rtpPacket?.ssrc ?? info.ssrc;
      this.add(`video ${what} ${entity.id.slice(0, 4)} ${trace.type} ${trace.direction}${ssrc !== undefined ? ` ssrc ${ssrc}` : ''}`);
    });
  }

  since(at: number): TimelineEvent[] {
    return this.events.filter((e) => e.at >= at).sort((a, b) => a.at - b.at);
  }
}

interface KillResult {
  kill: number;
  killedWorker: number;
  newWorker: number | undefined;
  /** Kill → frames advancing on every page (the slowest page). */
  recoveryMs: number;
  perPageMs: number[];
  /** Kill → the replacement worker is up. */
  replacedMs: number | undefined;
  server: string;
  pages: string[];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const timeline = new ServerTimeline();
  const config = loadConfig({
    MEDIASOUP_NUM_WORKERS: String(options.workers),
    RTC_BASE_PORT: String(options.rtcBasePort),
    RTC_MIN_PORT: String(options.rtcBasePort + 100),
    RTC_MAX_PORT: String(options.rtcBasePort + 199),
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    EMPTY_ROOM_GRACE_MS: '2000',
  });
  const log = pino({ level: 'info' }, timeline.logStream());
  const pool = await WorkerPool.create(config.media, log);
  for (const slot of pool.slots) timeline.watch(slot);
  let replacedAt: number | undefined;
  pool.on('workerReplaced', (slot) => {
    replacedAt = Date.now();
    timeline.add(`worker replaced (worker ${slot.index})`);
    timeline.watch(slot);
  });
  pool.on('workerDied', (slot) => timeline.add(`pool saw worker ${slot.index} die`));
  const { app, directory } = await buildApp({ config, log, pool });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchBrowser();
  const room = `crash-bench-${process.pid}`;
  const results: KillResult[] = [];
  try {
    const pages: Page[] = [];
    for (const name of ['Ada', 'Grace']) {
      const page = await browser.newParticipant();
      await page.goto(`${baseUrl}/?room=${room}&name=${name}`);
      await waitJoined(page, 30_000);
      pages.push(page);
    }
    for (let kill = 1; kill <= options.kills; kill++) {
      // A steady call on a full pool before every kill.
      await until(() => pool.slots.length === options.workers, { timeoutMs: 30_000, what: 'the pool is back to full strength' });
      const ids = await Promise.all(pages.map(pagePeerId));
      for (const [i, page] of pages.entries()) {
        await waitFramesAdvance(
          page,
          ids.filter((_, j) => j !== i).map((id) => `${id}:webcam`),
          5,
          30_000,
        );
      }
      await sleep(1000);
      const slot = directory.get(room)?.media.slot;
      if (!slot) throw new Error(`room ${room} is not open before kill ${kill}`);
      for (const page of pages) await armRecoveryProbe(page, ids, pages.length - 1);
      replacedAt = undefined;
      const killedAt = Date.now();
      timeline.add(`SIGKILL worker ${slot.index} (pid ${slot.worker.pid})`);
      process.kill(slot.worker.pid, 'SIGKILL');
      const recoveries = await Promise.all(pages.map((page) => waitRecovered(page, RECOVERY_TIMEOUT_MS)));
      const perPageMs = recoveries.map((r) => r.recoveredAt - killedAt);
      const result: KillResult = {
        kill,
        killedWorker: slot.index,
        newWorker: directory.get(room)?.media.workerIndex,
        recoveryMs: Math.max(...perPageMs),
        perPageMs,
        replacedMs: replacedAt !== undefined ? replacedAt - killedAt : undefined,
        server: formatTimeline(timeline.since(killedAt), killedAt),
        pages: recoveries.map((r) => formatTimeline(r.timeline, killedAt)),
      };
      results.push(result);
      console.log(
        `kill ${kill}: worker ${result.killedWorker} → room on worker ${result.newWorker}; frames advancing on every page after ${result.recoveryMs} ms (pages: ${perPageMs.join(', ')} ms)`,
      );
      console.log(`  server: ${result.server}`);
      for (const [i, line] of result.pages.entries()) console.log(`  page ${i + 1}: ${line}`);
    }
  } finally {
    await browser.close();
    await app.close();
    await pool.close();
  }

  const sorted = results.map((r) => r.recoveryMs).sort((a, b) => a - b);
  const summary = { kills: sorted.length, minMs: sorted[0], medianMs: median(sorted), maxMs: sorted[sorted.length - 1] };
  console.log(
    `\nrecovery over ${summary.kills} kills (kill → frames advancing on every page): min ${summary.minMs} ms, median ${summary.medianMs} ms, max ${summary.maxMs} ms`,
  );
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  const report = {
    measuredAt: new Date().toISOString(),
    command: `npx tsx bench/worker-crash.ts ${process.argv.slice(2).join(' ')}`.trim(),
    setup: { workers: options.workers, pages: 2, browser: 'chromium', framesAdvancing: FRAMES_ADVANCING },
    summary,
    kills: results,
  };
  fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written to ${path.relative(process.cwd(), options.out)}`);
}

function median(sorted: number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`worker-crash: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
