/**
 * The stepping loop shared by the three systems: raise the fan-out step by step, let it settle, then
 * measure a window — packets in (the feeder's count), packets out (the sink's), loss against
 * in × subscribers, and the forwarder's CPU from procfs — until loss passes 1% or the forwarder saturates
 * its core. Capacity is the last step that met both criteria.
 */
import { readStat } from '../../../loadtest/src/process-usage';
import type { ForwardingRun, ForwardingSystem } from '../types';
import type { NativeHelper } from './native';

export const MAX_LOSS_PERCENT = 1;
export const SATURATED_CPU_PERCENT = 95;

/** A forwarder under test. */
export interface Forwarder {
  readonly name: string;
  /** The process whose CPU is measured (it may change when the fan-out changes). */
  readonly pid: number;
  /** Most subscribers it can be given (ports). */
  readonly maxSubscribers: number;
  /** Sets the fan-out to n subscriber streams (only ever raised). */
  setSubscribers(n: number): Promise<void>;
}

export interface StepPlan {
  subscribers: number[];
  warmUpMs: number;
  windowMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function cpuSecondsOf(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`the forwarder (pid ${pid}) is gone`);
  return stat.cpuSeconds;
}

export async function measureStep(forwarder: Forwarder, feeder: NativeHelper, sink: NativeHelper, subscribers: number, plan: StepPlan): Promise<ForwardingRun> {
  await forwarder.setSubscribers(subscribers);
  await sleep(plan.warmUpMs);
  const pid = forwarder.pid;
  const [sentBefore] = await feeder.counters();
  const [receivedBefore] = await sink.counters();
  const cpuBefore = cpuSecondsOf(pid);
  const startedAt = performance.now();
  await sleep(plan.windowMs);
  const [sentAfter] = await feeder.counters();
  const [receivedAfter] = await sink.counters();
  const cpuAfter = cpuSecondsOf(pid);
  const seconds = (performance.now() - startedAt) / 1000;
  const sent = sentAfter! - sentBefore!;
  const received = receivedAfter! - receivedBefore!;
  const expected = sent * subscribers;
  const cpuSeconds = cpuAfter - cpuBefore;
  return {
    subscribers,
    packetsInPerSec: round(sent / seconds),
    packetsOutPerSec: round(received / seconds),
    lossPercent: expected > 0 ? round(Math.max(0, (1 - received / expected) * 100), 3) : 100,
    cpuPercent: round((cpuSeconds / seconds) * 100, 1),
    cpuMsPer1000Packets: received > 0 ? round((cpuSeconds * 1000) / (received / 1000), 3) : 0,
  };
}

export function meetsCriteria(run: ForwardingRun): boolean {
  return run.lossPercent <= MAX_LOSS_PERCENT && run.cpuPercent < SATURATED_CPU_PERCENT;
}

/** Steps up until a step fails the criteria (or the forwarder's port budget ends). */
export async function measureSystem(
  forwarder: Forwarder,
  feeder: NativeHelper,
  sink: NativeHelper,
  plan: StepPlan,
  log: (line: string) => void,
): Promise<ForwardingSystem> {
  const steps: ForwardingRun[] = [];
  for (const subscribers of plan.subscribers) {
    if (subscribers > forwarder.maxSubscribers) {
      log(`forwarding: ${forwarder.name}: stopping at ${forwarder.maxSubscribers} subscribers (its port budget)`);
      break;
    }
    const run = await measureStep(forwarder, feeder, sink, subscribers, plan);
    steps.push(run);
    log(
      `forwarding: ${forwarder.name} ${subscribers} subscribers: ${run.packetsOutPerSec} pkt/s out, loss ${run.lossPercent}%, ` +
        `CPU ${run.cpuPercent}% (${run.cpuMsPer1000Packets} ms/1000 pkts)`,
    );
    if (!meetsCriteria(run)) break;
  }
  const passing = steps.filter(meetsCriteria);
  // No step passing (a machine too busy even for the smallest fan-out): the first step stands in, its
  // loss or CPU showing why.
  const capacity = passing[passing.length - 1] ?? steps[0]!;
  if (passing.length === 0) log(`forwarding: ${forwarder.name}: no step met loss ≤ ${MAX_LOSS_PERCENT}% and CPU < ${SATURATED_CPU_PERCENT}%`);
  return { capacity, packetsOutPerSecPerCore: perCore(capacity), steps };
}

/** Packets out per second per fully used core: the rate at capacity scaled by the CPU share it took. */
function perCore(run: ForwardingRun): number {
  return run.cpuMsPer1000Packets > 0 ? round(1_000_000 / run.cpuMsPer1000Packets) : 0;
}

function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
