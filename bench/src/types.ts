/**
 * The benchmark's result, written as bench/results/<date>-<host>.json. Each section is measured by its
 * own module (forwarding/, ttff/, memory.ts, scaling.ts) and every figure sits beside a baseline measured
 * in the same run, so a noisy machine cancels out.
 */

/** What every section gets from the runner. */
export interface BenchContext {
  /** --quick: a CI smoke run — tiny loads, seconds not minutes; figures are not meaningful. */
  quick: boolean;
  /** Progress lines for the person watching (stderr). */
  log: (line: string) => void;
  /** First of a block of 1000 ports this section may use (servers, workers, feeders, sinks). */
  portBase: number;
  /** A scratch directory of this run (compiled C baselines, logs). */
  workDir: string;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  /** How many samples the percentiles are over. */
  samples: number;
}

/** One forwarding measurement: a fan-out of `subscribers` streams from the publisher(s). */
export interface ForwardingRun {
  subscribers: number;
  packetsInPerSec: number;
  packetsOutPerSec: number;
  lossPercent: number;
  /** CPU of the forwarding process (the mediasoup worker, or the relay) in % of one core. */
  cpuPercent: number;
  /** CPU milliseconds per 1,000 packets out. */
  cpuMsPer1000Packets: number;
}

export interface ForwardingSystem {
  /** The largest fan-out with loss < 1% and the forwarder not saturated, and the figures there. */
  capacity: ForwardingRun;
  /** Packets/s out per core at that capacity. */
  packetsOutPerSecPerCore: number;
  /** Every step measured on the way up. */
  steps: ForwardingRun[];
}

export interface ForwardingResult {
  /** RTP over plain transports, or SRTP: what was forwarded (same for all three systems). */
  media: string;
  confero: ForwardingSystem;
  bareMediasoup: ForwardingSystem;
  udpRelay: ForwardingSystem;
  /** confero.capacity.packetsOutPerSec / bareMediasoup's (target ≥ 0.95). */
  ratioToBareMediasoup: number;
  /** confero / udpRelay: how close to the machine's practical ceiling. */
  ratioToUdpRelay: number;
  /** How feeders, sinks and the measured forwarder were placed on cores (taskset), or why not. */
  pinning: string;
  /**
   * The same fan-out with every subscriber transport SRTP-protected (AES_CM_128_HMAC_SHA1_80), as every
   * WebRTC subscriber is: the worker encrypts and authenticates each packet out. Confero and bare mediasoup.
   */
  srtp: {
    media: string;
    confero: ForwardingSystem;
    bareMediasoup: ForwardingSystem;
    ratioToBareMediasoup: number;
  };
}

export interface TtffAtRate {
  joinsPerSec: number;
  browser: Percentiles;
  sim: Percentiles;
}

export interface TtffResult {
  /** WebSocket open → first remote video frame decoded in a Chromium page, over all rates. */
  browser: Percentiles;
  /** WebSocket open → first RTP packet of a remote stream at a sim bot, over all rates. */
  sim: Percentiles;
  byRate: TtffAtRate[];
  /** Who published in the measured room: sim bots sending recorded VP8/Opus, or Chromium pages. */
  publishers: 'sim' | 'browser';
  /** The same joins (Chromium only) beside two publishing Chromium pages on the same cores, for comparison. */
  withBrowserPublishers?: { joinsPerSec: number; browser: Percentiles };
}

export interface MemoryPoint {
  peers: number;
  /** Server RSS: the Node process plus every worker. */
  rssMb: number;
  nodeRssMb: number;
  workersRssMb: number;
}

export interface MemoryResult {
  /** (RSS at the most peers − RSS with none) / peers. Target ≤ 5. */
  mbPerPeer: number;
  baselineRssMb: number;
  points: MemoryPoint[];
}

export interface ScalingPoint {
  /** Peers in one room, each publishing audio + video: N × (N − 1) × 2 streams out. */
  peers: number;
  packetsOutPerSec: number;
  /** Server CPU (Node + workers) in % of one core. */
  serverCpuPercent: number;
  lossPercent: number;
}

export interface BenchResult {
  machine: {
    cpuModel: string;
    cores: number;
    memoryGb: number;
    kernel: string;
    node: string;
    mediasoup: string;
    chromium: string;
    command: string;
    startedAt: string;
    quick: boolean;
  };
  forwarding: ForwardingResult;
  ttff: TtffResult;
  memory: MemoryResult;
  scaling: ScalingPoint[];
  /** The largest N of `scaling` with loss < 1%. */
  scalingMaxPeers: number;
  /** Seconds each section took. */
  durations: Record<string, number>;
}
