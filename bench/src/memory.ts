/**
 * Server memory per connected peer: a real Confero server (its own Node process, one worker per core
 * by default) and sim bots joining in rooms of 10 — the first 2 of each room publish audio + video
 * (single-layer VP8), the other 8 subscribe, so every peer has a WebRTC transport pair and 2–4 consumers
 * (a meeting with two cameras on). Peers are added up to 10, 50 and 100 (quick: 2 and 5); at each level,
 * once every bot receives every publisher and the server has settled, the server's RSS — the Node process
 * plus every mediasoup worker /healthz names, from /proc/<pid>/status — is sampled.
 *
 * mbPerPeer is the least-squares slope of RSS over the levels with peers (MiB per peer) and baselineRssMb
 * its intercept (RSS extrapolated to none): the RSS measured with no peers (idleRssMb) is no reliable zero
 * — the server's Node process hands back some 25 MiB at an unpredictable moment of its first minute
 * (seen falling as the first 10 peers joined, warm-up round or not) — so (RSS at 100 − idle) / 100 came
 * out negative. In MiB (what `ps` and the load test's "MB" are). RSS is what the kernel has given the
 * processes, so V8's heap growth is included as an operator would see it; each sample follows a full GC in the server (bench/src/preload/gc-on-signal.mjs),
 * so heap that is merely not yet collected does not count as a peer's.
 */
import type { BotSpec } from '../../loadtest/src/bots/types';
import type { BenchContext, MemoryPoint, MemoryResult } from './types';
import { startServer, type BenchServer } from './server-process';
import { AUDIO_VIDEO, createCrowd } from './sim-crowd';
import { setTimeout as sleep } from 'node:timers/promises';

const MIB = 2 ** 20;
const ROOM_SIZE = 10;
const PUBLISHERS_PER_ROOM = 2;
const COMPLETE_TIMEOUT_MS = 90_000;
/** EMPTY_ROOM_GRACE_MS given to the server: the warm-up room is gone before the baseline. */
const ROOM_GRACE_MS = 1_000;

export interface MemoryDetail extends MemoryResult {
  /** RSS measured with no peers (after the warm-up round); see the top comment for why it is not the baseline. */
  idleRssMb: number;
  /** What the peers were. */
  layout: string;
}

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Mean of a few readings a second apart, each just after a full GC in the server: otherwise the reading
 * depends on when V8 last collected (RSS wobbles with GC and allocator activity).
 */
async function sampleRss(server: BenchServer, samples: number): Promise<{ node: number; workers: number }> {
  let node = 0;
  let workers = 0;
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(1000);
    await server.collectGarbage();
    const usage = await server.usage();
    node += usage.nodeRssBytes;
    workers += usage.workersRssBytes;
  }
  return { node: node / samples / MIB, workers: workers / samples / MIB };
}

/** Until three readings 2 s apart are within 1 MiB of each other (or the time is up). */
async function waitSteady(server: BenchServer, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  const readings: number[] = [];
  while (Date.now() < deadline) {
    const u = await server.usage();
    readings.push((u.nodeRssBytes + u.workersRssBytes) / MIB);
    const last = readings.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) < 1) return;
    await sleep(2_000);
  }
}

export function linearFit(points: { x: number; y: number }[]): { slope: number; intercept: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.y ?? 0 };
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

export async function runMemory(ctx: BenchContext): Promise<MemoryDetail> {
  const levels = ctx.quick ? [2, 5] : [10, 50, 100];
  const settleMs = ctx.quick ? 1_000 : 8_000;
  const samples = ctx.quick ? 1 : 3;
  const server = await startServer({ portBase: ctx.portBase, log: ctx.log, gcOnSignal: true, env: { EMPTY_ROOM_GRACE_MS: String(ROOM_GRACE_MS) } });
  const crowd = createCrowd(ctx.log);
  try {
    // A warm baseline: the server's first room, transports and consumers set up code paths and V8 heap
    // that later peers share, and the start-up garbage (tsx compiling the server) is collected only once
    // the process allocates again — a cold baseline made RSS *fall* when the first 10 peers joined.
    const warmUp = createCrowd(ctx.log);
    try {
      await warmUp.join(
        Array.from({ length: levels[0]! }, (_, i) => ({
          url: server.wsUrl,
          room: 'bench-mem-warmup',
          name: `warm-${i}`,
          publish: i < PUBLISHERS_PER_ROOM ? { ...AUDIO_VIDEO } : null,
        })),
      );
      await warmUp.waitComplete(COMPLETE_TIMEOUT_MS);
    } finally {
      await warmUp.close();
    }
    await sleep(settleMs + ROOM_GRACE_MS);
    // Idle RSS moves for a while after start-up: wait until it holds still before reading it.
    await waitSteady(server, ctx.quick ? 10_000 : 60_000);
    const base = await sampleRss(server, samples);
    const baselineRssMb = base.node + base.workers;
    ctx.log(`  memory: no peers: ${baselineRssMb.toFixed(1)} MiB (Node ${base.node.toFixed(1)}, workers ${base.workers.toFixed(1)})`);
    const points: MemoryPoint[] = [];
    for (const peers of levels) {
      const specs: BotSpec[] = [];
      for (let i = crowd.bots.length; i < peers; i++) {
        specs.push({
          url: server.wsUrl,
          room: `bench-mem-r${Math.floor(i / ROOM_SIZE)}`,
          name: `mem-${i}`,
          publish: i % ROOM_SIZE < PUBLISHERS_PER_ROOM ? { ...AUDIO_VIDEO } : null,
        });
      }
      await crowd.join(specs);
      await crowd.waitComplete(COMPLETE_TIMEOUT_MS);
      await sleep(settleMs);
      const rss = await sampleRss(server, samples);
      const point: MemoryPoint = { peers, rssMb: round(rss.node + rss.workers), nodeRssMb: round(rss.node), workersRssMb: round(rss.workers) };
      points.push(point);
      ctx.log(
        `  memory: ${peers} peers: ${point.rssMb} MiB (Node ${point.nodeRssMb}, workers ${point.workersRssMb}), ${((point.rssMb - baselineRssMb) / peers).toFixed(2)} MiB/peer`,
      );
    }
    const workers = (await server.workerPids()).length;
    const fit = linearFit(points.map((p) => ({ x: p.peers, y: p.rssMb })));
    return {
      mbPerPeer: round(fit.slope, 3),
      baselineRssMb: round(fit.intercept),
      idleRssMb: round(baselineRssMb),
      points,
      layout: `rooms of ${ROOM_SIZE}: ${PUBLISHERS_PER_ROOM} publishing audio + video (single-layer VP8 250 kbit/s, Opus), the rest subscribing; sim bots; ${workers} mediasoup workers`,
    };
  } finally {
    await crowd.close();
    await server.stop();
  }
}
