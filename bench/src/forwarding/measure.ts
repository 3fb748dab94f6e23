/**
 * The stepping loop shared by the three systems: raise the fan-out step by step, let it settle, then
 * measure a window — packets in (the feeder's count), packets out (the sink's), loss against
 * in × subscribers, and the forwarder's CPU from procfs — until loss passes 1% or the forwarder saturates
 * its core. Capacity is the last step that met both criteria.
 */
import fs from 'node:fs';
import { readStat } from '../../../loadtest/src/process-usage';
import type { ForwardingRun, ForwardingSystem } from '../types';
import type { NativeHelper } from './native';
import { setTimeout as sleep } from 'node:timers/promises';

export const MAX_LOSS_PERCENT = 1;
export const SATURATED_CPU_PERCENT = 95;
const FAILED_STEP_RETRIES = 2;
const RETRY_PAUSE_MS = 2_000;

/** A forwarder under test. */
export interface Forwarder {
  readonly name: string;
  /** The process whose CPU is measured (it may change when the fan-out changes). */
  readonly pid: number;
  /** Most subscribers it can be given (ports). */
  readonly maxSubscribers: number;
  /** Where the feeder sends (its receive queue's drops are logged). */
  readonly producerAddress: { ip: string; port: number };
  /** Sets the fan-out to n subscriber streams (only ever raised). */
  setSubscribers(n: number): Promise<void>;
}

export interface StepPlan {
  subscribers: number[];
  warmUpMs: number;
  windowMs: number;
  /** The core the forwarder is pinned to, if any: its total load is logged beside the forwarder's. */
  forwarderCore?: number;
  sinkPort: number;
}

/** Busy seconds of one core (all processes, interrupts included), from /proc/stat; undefined if unreadable. */
function coreBusySeconds(core: number | undefined): number | undefined {
  if (core === undefined) return undefined;
  try {
    const line = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${core} `));
    if (!line) return undefined;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = ticks[3]! + (ticks[4] ?? 0);
    return (ticks.reduce((sum, t) => sum + t, 0) - idle) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Datagrams the kernel dropped on a full receive queue of the loopback UDP socket bound to `port`
 * (/proc/net/udp's drops column): tells a starved sink or forwarder from a forwarder that never sent.
 */
export function udpDrops(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  try {
    for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hexPort}`)) return Number(fields[fields.length - 1]);
    }
  } catch {
    // No procfs: no diagnosis.
  }
  return 0;
}

function cpuSecondsOf(pid: number): number {
  const stat = readStat(pid);
  if (!stat) throw new Error(`the forwarder (pid ${pid}) is gone`);
  return stat.cpuSeconds;
}

/** A step's figures, and how busy the forwarder's whole core was (other processes, interrupts) for the log. */
export async function measureStep(
  forwarder: Forwarder,
  feeder: NativeHelper,
  sink: NativeHelper,
  subscribers: number,
  plan: StepPlan,
): Promise<{ run: ForwardingRun; coreBusyPercent: number | undefined; sinkDrops: number; inputDrops: number }> {
  await forwarder.setSubscribers(subscribers);
  await sleep(plan.warmUpMs);
  const pid = forwarder.pid;
  // Each helper's report ends with its own CLOCK_MONOTONIC (ns): rates come from the helper's interval
  // between its two reports, so a report answered late (a sink busy draining its socket) skews nothing.
  const [sentBefore, , feederBefore] = await feeder.counters();
  const [receivedBefore, , sinkBefore] = await sink.counters();
  const cpuBefore = cpuSecondsOf(pid);
  const coreBefore = coreBusySeconds(plan.forwarderCore);
  const sinkDropsBefore = udpDrops(plan.sinkPort);
  const inputDropsBefore = udpDrops(forwarder.producerAddress.port);
  const startedAt = performance.now();
  await sleep(plan.windowMs);
  const [sentAfter, , feederAfter] = await feeder.counters();
  const [receivedAfter, , sinkAfter] = await sink.counters();
  const cpuAfter = cpuSecondsOf(pid);
  const coreAfter = coreBusySeconds(plan.forwarderCore);
  const sinkDrops = udpDrops(plan.sinkPort) - sinkDropsBefore;
  const inputDrops = udpDrops(forwarder.producerAddress.port) - inputDropsBefore;
  const seconds = (performance.now() - startedAt) / 1000;
  const inPerSec = (sentAfter! - sentBefore!) / ((feederAfter! - feederBefore!) / 1e9);
  const outPerSec = (receivedAfter! - receivedBefore!) / ((sinkAfter! - sinkBefore!) / 1e9);
  const expectedPerSec = inPerSec * subscribers;
  const cpuSeconds = cpuAfter - cpuBefore;
  const run = {
    subscribers,
    packetsInPerSec: round(inPerSec),
    packetsOutPerSec: round(outPerSec),
    lossPercent: expectedPerSec > 0 ? round(Math.max(0, (1 - outPerSec / expectedPerSec) * 100), 3) : 100,
    cpuPercent: round((cpuSeconds / seconds) * 100, 1),
    cpuMsPer1000Packets: outPerSec > 0 ? round((cpuSeconds * 1000) / ((outPerSec * seconds) / 1000), 3) : 0,
  };
  const coreBusyPercent = coreBefore !== undefined && coreAfter !== undefined ? round(((coreAfter - coreBefore) / seconds) * 100, 1) : undefined;
  return { run, coreBusyPercent, sinkDrops, inputDrops };
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
    const run = await measureWithRetry(forwarder, feeder, sink, subscribers, plan, log);
    steps.push(run);
    if (!meetsCriteria(run)) break;
  }
  await refineKnee(steps, (subscribers) => measureWithRetry(forwarder, feeder, sink, subscribers, plan, log));
  steps.sort((a, b) => a.subscribers - b.subscribers);
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

/** One step; a failing one is measured up to twice more and the best window counts. Logged either way. */
async function measureWithRetry(
  forwarder: Forwarder,
  feeder: NativeHelper,
  sink: NativeHelper,
  subscribers: number,
  plan: StepPlan,
  log: (line: string) => void,
): Promise<ForwardingRun> {
  let { run, coreBusyPercent, sinkDrops, inputDrops } = await measureStep(forwarder, feeder, sink, subscribers, plan);
  // A failing step is measured again, after a pause, and the best window counts: on a shared (virtual)
  // machine one window can catch someone else's burst, or the hypervisor taking the core for a while —
  // and a failing step ends the sweep.
  for (let retry = 0; retry < FAILED_STEP_RETRIES && !meetsCriteria(run); retry++) {
    log(
      `forwarding: ${forwarder.name} ${subscribers} subscribers: loss ${run.lossPercent}%, CPU ${run.cpuPercent}%; measuring again in ${RETRY_PAUSE_MS / 1000} s`,
    );
    await sleep(RETRY_PAUSE_MS);
    const again = await measureStep(forwarder, feeder, sink, subscribers, plan);
    if (again.run.lossPercent < run.lossPercent) ({ run, coreBusyPercent, sinkDrops, inputDrops } = again);
  }
  log(
    `forwarding: ${forwarder.name} ${subscribers} subscribers: ${run.packetsOutPerSec} pkt/s out, loss ${run.lossPercent}%, ` +
      `CPU ${run.cpuPercent}% (${run.cpuMsPer1000Packets} ms/1000 pkts)` +
      (coreBusyPercent !== undefined ? `; core ${plan.forwarderCore} busy ${coreBusyPercent}% in all` : '') +
      `; dropped by the kernel: ${inputDrops} at the forwarder's input, ${sinkDrops} at the sink`,
  );
  return run;
}

/** Finest resolution of the knee: 5 subscribers, or 5 % of the last passing step. */
const KNEE_RESOLUTION = (passing: number): number => Math.max(5, Math.round(passing * 0.05));
const KNEE_PROBES = 4;
/** How the knee is refined, for the result's description of the method. */
export const KNEE_DESCRIPTION = `then up to ${KNEE_PROBES} probes bisecting between the last passing and the first failing step (to 5 subscribers or 5 %)`;

/**
 * The coarse steps leave the capacity anywhere between the last passing step and the failing one (50 vs
 * 75 is a third apart), so two systems' ratio jumps with the grid. Bisect that gap a few times instead.
 */
async function refineKnee(steps: ForwardingRun[], measure: (subscribers: number) => Promise<ForwardingRun>): Promise<void> {
  const failing = steps.find((run) => !meetsCriteria(run));
  let lo = steps.filter(meetsCriteria).at(-1)?.subscribers;
  let hi = failing?.subscribers;
  for (let probe = 0; lo !== undefined && hi !== undefined && probe < KNEE_PROBES && hi - lo > KNEE_RESOLUTION(lo); probe++) {
    const mid = Math.round((lo + hi) / 2);
    const run = await measure(mid);
    steps.push(run);
    if (meetsCriteria(run)) lo = mid;
    else hi = mid;
  }
}
