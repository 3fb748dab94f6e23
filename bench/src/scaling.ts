/**
 * The scaling curve of one room: N sim bots, every one publishing audio + video (Opus 50 packets/s,
 * single-layer VP8 250 kbit/s at about 30 packets/s), so the server forwards N × (N − 1) × 2 streams.
 * N = 2, 4, 6, … (quick: 2, 3), each step a fresh room: join, wait until every bot receives every other,
 * warm up, then measure for a window — packets delivered to the receivers per second (what the server
 * sent, less what was lost), loss from the receivers' sequence gaps, server CPU (Node + workers, /proc),
 * the bots' CPU and the whole machine's. A window with ≥ 1% loss is measured once more and the better
 * kept (another job's burst is not the room breaking). It stops after the first step with ≥ 1% loss,
 * or with the server and bots using ≥ 95% of the cores (or the room's worker ≥ 95% of its core), or
 * when a step cannot even get every stream through.
 *
 * The bots run in this process on the same 2 cores as the server, so the curve is where this machine
 * breaks — bots and server together — not where the server alone would. A room lives on one worker
 * (one core) in Confero today.
 */
import os from 'node:os';
import fs from 'node:fs';
import type { BenchContext, ScalingPoint } from './types';
import { readStat } from '../../loadtest/src/process-usage';
import { startServer } from './server-process';
import { AUDIO_VIDEO, createCrowd } from './sim-crowd';
import { setTimeout as sleep } from 'node:timers/promises';

const MAX_PEERS = 40;
const LOSS_LIMIT_PERCENT = 1;
/** Server + bots at or above this share of all cores, or the room's worker of its core, is saturated. */
const SATURATED_SHARE = 0.95;

export interface ScalingStep extends ScalingPoint {
  /** N × (N − 1) × 2 */
  streams: number;
  /** The busiest worker, % of one core (the room's worker). */
  busiestWorkerCpuPercent: number;
  /** The sim bots (this process), % of one core. */
  botsCpuPercent: number;
  /** Every process on the machine, % of one core (200 % = both cores of two). */
  machineCpuPercent: number;
  /** Streams still not received when the step gave up waiting (0 normally). */
  missingStreams: number;
  /** Measuring windows: 2 when the first had ≥ 1% loss and was measured again (the better one is kept). */
  windows: number;
}

export interface ScalingResult {
  points: ScalingStep[];
  /** The largest N with loss < 1% (0 when none). */
  maxPeers: number;
  stoppedBecause: string;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Busy and total jiffies of all cores together, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is inside user)
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export async function runScaling(ctx: BenchContext): Promise<ScalingResult> {
  const steps = ctx.quick ? [2, 3] : Array.from({ length: MAX_PEERS / 2 }, (_, i) => 2 * (i + 1));
  const warmUpMs = ctx.quick ? 1_000 : 3_000;
  const measureMs = ctx.quick ? 3_000 : 10_000;
  const cores = os.cpus().length;
  const server = await startServer({ portBase: ctx.portBase, maxPeersPerRoom: MAX_PEERS + 10, log: ctx.log });
  const points: ScalingStep[] = [];
  let stoppedBecause = ctx.quick ? 'quick run: 2 and 3 peers only' : `reached ${MAX_PEERS} peers, the most this bench tries`;
  try {
    for (const peers of steps) {
      const crowd = createCrowd(ctx.log);
      let missingStreams = 0;
      try {
        await crowd.join(
          Array.from({ length: peers }, (_, i) => ({
            url: server.wsUrl,
            room: `bench-scale-${peers}`,
            name: `scale${peers}-${i}`,
            publish: { ...AUDIO_VIDEO },
          })),
        );
        try {
          await crowd.waitComplete(60_000);
        } catch (error) {
          missingStreams = Number(/^(\d+)/.exec((error as Error).message)?.[1] ?? 1);
          ctx.log(`  scaling: ${peers} peers: ${(error as Error).message}`);
        }
        await sleep(warmUpMs);
        const measure = async (): Promise<ScalingStep> => {
          const workerPids = await server.workerPids();
          const workerCpu = (): number[] => workerPids.map((pid) => readStat(pid)?.cpuSeconds ?? 0);
          const before = {
            at: performance.now(),
            media: crowd.totals(),
            server: await server.usage(),
            workers: workerCpu(),
            bots: process.cpuUsage(),
            machine: machineTicks(),
          };
          await sleep(measureMs);
          const after = {
            at: performance.now(),
            media: crowd.totals(),
            server: await server.usage(),
            workers: workerCpu(),
            bots: process.cpuUsage(before.bots),
            machine: machineTicks(),
          };
          const wall = (after.at - before.at) / 1000;
          const received = after.media.packets - before.media.packets;
          const lost = after.media.lost - before.media.lost;
          const serverCpu = after.server.nodeCpuSeconds + after.server.workersCpuSeconds - before.server.nodeCpuSeconds - before.server.workersCpuSeconds;
          const busiest = Math.max(0, ...after.workers.map((x, i) => x - (before.workers[i] ?? x)));
          const machineShare = (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total);
          return {
            peers,
            packetsOutPerSec: Math.round(received / wall),
            serverCpuPercent: round((100 * serverCpu) / wall),
            lossPercent: received + lost > 0 ? round((100 * lost) / (received + lost), 3) : 100,
            streams: peers * (peers - 1) * 2,
            busiestWorkerCpuPercent: round((100 * busiest) / wall),
            botsCpuPercent: round((after.bots.user + after.bots.system) / 1e4 / wall),
            machineCpuPercent: round(100 * machineShare * cores),
            missingStreams,
            windows: 1,
          };
        };
        let point = await measure();
        // A burst from another job on a shared machine can cost one window its packets: a lossy window is
        // measured again and the better one kept, so the curve ends where loss persists.
        if (!ctx.quick && missingStreams === 0 && point.lossPercent >= LOSS_LIMIT_PERCENT) {
          ctx.log(`  scaling: ${peers} peers: loss ${point.lossPercent}% (machine ${point.machineCpuPercent}% of one core), measuring again`);
          const again = await measure();
          point = { ...(again.lossPercent < point.lossPercent ? again : point), windows: 2 };
        }
        points.push(point);
        ctx.log(
          `  scaling: ${peers} peers (${point.streams} streams): ${point.packetsOutPerSec} packets/s delivered, loss ${point.lossPercent}%, ` +
            `server ${point.serverCpuPercent}% (busiest worker ${point.busiestWorkerCpuPercent}%), bots ${point.botsCpuPercent}%, machine ${point.machineCpuPercent}% of one core`,
        );
        if (ctx.quick) continue;
        if (missingStreams > 0) {
          stoppedBecause = `at ${peers} peers ${missingStreams} streams never arrived`;
          break;
        }
        if (point.lossPercent >= LOSS_LIMIT_PERCENT) {
          stoppedBecause = `loss reached ${point.lossPercent}% at ${peers} peers`;
          break;
        }
        // Our own processes, not the machine's total: other jobs on a shared machine would end the curve early.
        const ours = point.serverCpuPercent + point.botsCpuPercent;
        if (ours >= SATURATED_SHARE * cores * 100 || point.busiestWorkerCpuPercent >= SATURATED_SHARE * 100) {
          stoppedBecause = `CPU saturated at ${peers} peers (server + bots ${Math.round(ours)}% of ${cores * 100}%, the room's worker ${point.busiestWorkerCpuPercent}% of its core)`;
          break;
        }
      } finally {
        await crowd.close();
      }
      await sleep(ctx.quick ? 500 : 2_000); // sockets close, the empty room goes
    }
  } finally {
    await server.stop();
  }
  const good = points.filter((p) => p.lossPercent < LOSS_LIMIT_PERCENT && p.missingStreams === 0);
  return { points, maxPeers: Math.max(0, ...good.map((p) => p.peers)), stoppedBecause };
}
