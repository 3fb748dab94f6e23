/**
 * Protocol fuzzing: several sockets — outside any room, in the media peers' room, in another room —
 * send thousands of fast-check frames (mutated requests of every method, broken envelopes, random and
 * truncated JSON, deep nesting, prototype-polluting keys, binary, oversized and socket-closing frames)
 * while two peers exchange real RTP through a real worker. Media must not stall, every frame must get
 * one well-formed answer and never `internal`, /healthz must stay ok, the heap bounded, nothing may be
 * polluted, no unhandled rejection and no error-level log line.
 *
 * Reproducible: FUZZ_SEED (default below) and FUZZ_RUNS (frames per fuzzing socket) vary it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { buildApp } from '../src/app';
import { WorkerPool } from '../src/media/worker-pool';
import type { RoomDirectory } from '../src/rooms/room-directory';
import { testConfig } from '../../testkit/config';
import { recordingLog, type RecordingLog } from './helpers/recording-log';
import { startMediaPair, consumerPacketCount, type MediaPair } from './helpers/media-pair';
import { frameArbitrary, type FrameMix } from './helpers/fuzz-arbitraries';
import { FuzzSocket, type FuzzTargets } from './helpers/fuzz-socket';
import { until } from '../../testkit/until';

const SEED = Number(process.env.FUZZ_SEED ?? 1_000_010);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
/** A safety net under the test's timeout on a loaded machine; the volume is asserted separately. */
const MAX_FUZZ_SECONDS = 25;
const MAX_MESSAGE_BYTES = 65_536;
const MAX_MEDIA_GAP_MS = 500;
const MAX_HEAP_GROWTH_MB = 30;

const ENV = {
  ALLOW_PLAIN_TRANSPORTS: 'true',
  EMPTY_ROOM_GRACE_MS: '200',
  MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
  // The fuzz is about the handlers, not the rate limiter: keep it out of the way.
  WS_RATE_PER_SECOND: '100000',
  WS_RATE_BURST: '1000000',
  WS_RATE_CLOSE_AFTER: '1000000',
  JOINS_PER_IP_PER_MINUTE: '1000000',
  MAX_WS_CONNECTIONS: '10000',
  MAX_WS_CONNECTIONS_PER_IP: '10000',
  MAX_ROOMS: '10000',
};

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc'));
const heapMb = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const prototypeShape = (): string =>
  [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(',')).join('|');

let log: RecordingLog;
let pool: WorkerPool;
let app: Awaited<ReturnType<typeof buildApp>>['app'];
let directory: RoomDirectory;
let baseUrl: string;
let pair: MediaPair;
let sink: dgram.Socket;
let sinkPackets = 0;
const room = `fuzz-media-${process.pid}`;

beforeAll(async () => {
  log = recordingLog();
  const config = testConfig(ENV);
  pool = await WorkerPool.create(config.media, log.log);
  ({ app, directory } = await buildApp({ config, log: log.log, pool }));
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  sink = dgram.createSocket('udp4');
  sink.on('message', () => sinkPackets++);
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  pair = await startMediaPair(`${baseUrl.replace('http', 'ws')}/ws`, room);
});

afterAll(async () => {
  await pair?.close();
  sink?.close();
  await app?.close();
  await pool?.close();
});

interface Fuzzer {
  socket: FuzzSocket;
  mix: FrameMix;
}

/** Frames for one socket, generated in chunks so thousands of them never sit in memory at once. */
function* frames(mix: FrameMix, seed: number, runs: number) {
  const arbitrary = frameArbitrary(mix);
  for (let done = 0, chunk = 0; done < runs; chunk++) {
    const batch = fc.sample(arbitrary, { seed: seed + chunk * 1_000_003, numRuns: Math.min(100, runs - done) });
    done += batch.length;
    yield* batch;
  }
}

/** Every ~200 ms both media peers ask for their consumer's stats: the requests must succeed, the count advance. */
function watchMedia(problems: string[]): { stop(): Promise<{ probes: number; maxStallMs: number }> } {
  let running = true;
  let probes = 0;
  let maxStallMs = 0;
  const loop = (async () => {
    const last = pair.sides.map(() => ({ count: -1, at: performance.now() }));
    while (running) {
      await sleep(200);
      for (const [i, side] of pair.sides.entries()) {
        try {
          const count = await consumerPacketCount(side);
          probes++;
          const now = performance.now();
          if (count > last[i]!.count) last[i] = { count, at: now };
          else maxStallMs = Math.max(maxStallMs, now - last[i]!.at);
        } catch (error) {
          problems.push(`media peer ${i}: getStats failed during the fuzz: ${(error as Error).message}`);
        }
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { probes, maxStallMs };
    },
  };
}

function watchHealth(problems: string[]): { stop(): Promise<{ checks: number; slowestMs: number }> } {
  let running = true;
  let checks = 0;
  let slowestMs = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${baseUrl}/healthz`).catch((error: Error) => error);
      slowestMs = Math.max(slowestMs, performance.now() - started);
      checks++;
      if (response instanceof Error) problems.push(`/healthz failed: ${response.message}`);
      else {
        const body = (await response.json()) as { status: string };
        if (response.status !== 200 || body.status !== 'ok') problems.push(`/healthz ${response.status} ${JSON.stringify(body)}`);
      }
      await sleep(250);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { checks, slowestMs };
    },
  };
}

describe('protocol fuzzing', () => {
  it('survives thousands of hostile frames from several sockets while media flows without a gap', { timeout: 120_000 }, async () => {
    const wsUrl = `${baseUrl.replace('http', 'ws')}/ws`;
    const { routerRtpCapabilities } = await pair.sides[0].peer.request('getRouterRtpCapabilities', {});
    const otherRoom = `fuzz-other-${process.pid}`;
    const targets: FuzzTargets = {
      wsUrl,
      routerRtpCapabilities,
      sinkPort: sink.address().port,
      rooms: [room, otherRoom, `fuzz-third-${process.pid}`],
      foreignIds: pair.ownedIds(),
    };
    const outside: FrameMix = { maxMessageBytes: MAX_MESSAGE_BYTES, requestShare: 0.4, mutationRate: 0.35, closingPerMille: 3 };
    const inside: FrameMix = { maxMessageBytes: MAX_MESSAGE_BYTES, requestShare: 0.7, mutationRate: 0.25, closingPerMille: 1 };
    const fuzzers: Fuzzer[] = [
      { socket: new FuzzSocket('outsider-1', targets), mix: outside },
      { socket: new FuzzSocket('outsider-2', targets), mix: outside },
      { socket: new FuzzSocket('media-room-1', targets, room), mix: inside },
      { socket: new FuzzSocket('media-room-2', targets, room), mix: inside },
      { socket: new FuzzSocket('other-room-1', targets, otherRoom), mix: inside },
      { socket: new FuzzSocket('other-room-2', targets, otherRoom), mix: inside },
    ];
    for (const { socket } of fuzzers) await socket.connect();

    const crashes: string[] = [];
    const onRejection = (reason: unknown): void => void crashes.push(`unhandledRejection: ${String(reason)}`);
    const onException = (error: Error): void => void crashes.push(`uncaughtException: ${error.stack ?? error.message}`);
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    const problems: string[] = [];
    const prototypesBefore = prototypeShape();
    const heapBefore = heapMb();
    const rssBefore = process.memoryUsage().rss / 2 ** 20;
    await pair.pacer.mark();
    const media = watchMedia(problems);
    const health = watchHealth(problems);

    console.log(`[fuzz] seed ${SEED}, ${RUNS} frames per socket (FUZZ_SEED / FUZZ_RUNS to vary)`);
    const started = performance.now();
    const deadline = started + MAX_FUZZ_SECONDS * 1000;
    await Promise.all(
      fuzzers.map(async ({ socket, mix }, i) => {
        for (const frame of frames(mix, SEED + i * 7919, RUNS)) {
          if (performance.now() > deadline) break;
          await socket.send(frame);
        }
        await socket.drain();
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const gaps = await pair.pacer.report();
    const { probes, maxStallMs } = await media.stop();
    const { checks, slowestMs } = await health.stop();

    // The media peers' own signalling still works after the storm, and media still flows.
    for (const side of pair.sides) {
      await side.peer.request('setConsumerPriority', { consumerId: side.consumerId, priority: 2 });
      await side.peer.request('getStats', { id: side.producerId });
    }
    const before = await Promise.all(pair.sides.map(consumerPacketCount));
    await sleep(500);
    const after = await Promise.all(pair.sides.map(consumerPacketCount));

    for (const { socket } of fuzzers) socket.close();
    // Everything the fuzzers made is released: back to one room holding the two media peers.
    await until(() => directory.list().length === 1 && directory.get(room)?.peers.size === 2, { timeoutMs: 5000 }).catch(() => undefined);
    const rooms = directory.list().map((r) => `${r.name}:${r.peers.size}`);
    const heapAfter = heapMb();
    const rssAfter = process.memoryUsage().rss / 2 ** 20;
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);

    const tallies = fuzzers.map((f) => f.socket.tally);
    const total = tallies.reduce((n, t) => n + t.frames, 0);
    const sum = (pick: (t: (typeof tallies)[number]) => Record<string, number>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const t of tallies) for (const [k, v] of Object.entries(pick(t))) out[k] = (out[k] ?? 0) + v;
      return out;
    };
    const maxGap = Math.max(...gaps.map((g) => g.maxGapMs));
    console.log(
      `[fuzz] ${total} messages (${(tallies.reduce((n, t) => n + t.bytes, 0) / 2 ** 20).toFixed(1)} MiB) from ${fuzzers.length} sockets ` +
        `in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} msg/s), media gap max ${Math.round(maxGap)} ms (sender's own longest pause ${Math.round(gaps[0]!.maxSendGapMs)} ms) ` +
        `(received ${gaps.map((g, i) => `${g.receivedSinceMark} of ${gaps[1 - i]!.sentSinceMark}`).join(' and ')} packets sent, ${gaps.map((g) => g.otherSsrcPackets).join('/')} of other SSRCs), stats probes ${probes} (longest stall ${Math.round(maxStallMs)} ms), ` +
        `/healthz ${checks} checks (slowest ${Math.round(slowestMs)} ms), heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB, ` +
        `rss ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MiB, sockets closed by the server ${tallies.reduce((n, t) => n + t.closes, 0)}, ` +
        `warn lines ${log.warnings().length}, sink packets ${sinkPackets}`,
    );
    console.log(`[fuzz] frames by category ${JSON.stringify(sum((t) => t.byCategory))}`);
    console.log(`[fuzz] answers by code ${JSON.stringify(sum((t) => t.byCode))}`);
    console.log(`[fuzz] successes by method ${JSON.stringify(sum((t) => t.okByMethod))}`);
    if (process.env.FUZZ_VERBOSE) console.log(`[fuzz] sample errors ${JSON.stringify(Object.assign({}, ...tallies.map((t) => t.sampleErrors)), null, 1)}`);

    const allProblems = [...problems, ...fuzzers.flatMap((f) => f.socket.problems)];
    expect(crashes).toEqual([]);
    expect(log.errors().map((l) => l.line.slice(0, 600))).toEqual([]);
    expect(allProblems.slice(0, 20), `${allProblems.length} problems`).toEqual([]);
    expect(prototypeShape()).toBe(prototypesBefore);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(([] as unknown as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'isAdmin')).toBe(false);
    if (process.env.FUZZ_RUNS === undefined) expect(total).toBeGreaterThanOrEqual(5000);
    // Every frame was answered, exactly once (the sockets count answers against frames).
    expect(tallies.reduce((n, t) => n + t.answers, 0)).toBe(total - tallies.reduce((n, t) => n + t.closes, 0));
    // Media: no silence longer than the bound in either direction, and still flowing afterwards.
    expect(maxGap, `longest silences ${JSON.stringify(gaps.map((g) => g.longGapsMs))}`).toBeLessThan(MAX_MEDIA_GAP_MS);
    // Each direction received what the other sent (a few packets may still be in flight).
    gaps.forEach((g, i) => expect(g.receivedSinceMark, `stream ${i}`).toBeGreaterThanOrEqual(gaps[1 - i]!.sentSinceMark * 0.98 - 3));
    expect(maxStallMs).toBeLessThan(1000);
    after.forEach((count, i) => expect(count - before[i]!).toBeGreaterThanOrEqual(15));
    // The fuzzers named the media peers' ids (answered forbidden) but never paused or closed anything of theirs.
    for (const side of pair.sides) {
      const touched = side.peer.notifications.filter(
        (n) =>
          ['producerClosed', 'removed', 'roomClosed'].includes(n.method) ||
          (['consumerClosed', 'consumerPaused'].includes(n.method) && (n.data as { consumerId: string }).consumerId === side.consumerId),
      );
      expect(touched).toEqual([]);
    }
    expect(sum((t) => t.byCode).forbidden ?? 0).toBeGreaterThan(0);
    expect(rooms).toEqual([`${room}:2`]);
    expect(heapAfter - heapBefore).toBeLessThan(MAX_HEAP_GROWTH_MB);
  });
});
