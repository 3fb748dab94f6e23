/**
 * Forwarding capacity per worker core. One VP8-like stream (bench/native/rtp-feeder.c) goes into three
 * forwarders in turn — Confero (real server, real signalling), a bare mediasoup script on the same worker
 * binary, and a minimal batching UDP relay in C — each fanned out to more and more subscriber streams
 * landing in one C sink, until loss passes 1% or the forwarder's core saturates.
 *
 * Run alone for development: `npx tsx bench/src/forwarding/index.ts [--quick]` prints the result JSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext, ForwardingResult, ForwardingSystem } from '../types';
import { BareMediasoupForwarder } from './bare-mediasoup';
import { ConferoForwarder } from './confero';
import { FEED, MAX_MEDIASOUP_SUBSCRIBERS, MEDIA_DESCRIPTION, PORTS, SRTP_MEDIA_DESCRIPTION } from './feed';
import { KNEE_DESCRIPTION, measureSystem, type Forwarder, type StepPlan } from './measure';
import { compileHelper, NativeHelper } from './native';
import { placeThisProcess, unpinned, type PinningPlan } from './pinning';
import { UdpRelayForwarder } from './udp-relay';

const QUICK_PLAN: Omit<StepPlan, 'sinkPort'> = { subscribers: [5, 10], warmUpMs: 400, windowMs: 1000 };
const FULL_PLAN: Omit<StepPlan, 'sinkPort'> = {
  subscribers: [10, 25, 50, 75, 100, 125, 150, 175, 200, 250, 300, 350, 400, 500, 600, 700, 800, 1000, 1250, 1500, 2000, 3000, 4000, 5000],
  warmUpMs: 1500,
  windowMs: 4000,
};

interface Helpers {
  feeder: string;
  sink: string;
  relay: string;
}

export async function runForwarding(ctx: BenchContext): Promise<ForwardingResult> {
  const helpers: Helpers = {
    feeder: await compileHelper('rtp-feeder', ctx.workDir),
    sink: await compileHelper('rtp-sink', ctx.workDir),
    relay: await compileHelper('udp-relay', ctx.workDir),
  };
  // A smoke run (--quick) runs inside npm test beside other tests, and its figures mean nothing: it takes
  // no core and no real-time priority from them (SCHED_FIFO load would starve their browsers).
  const placement = ctx.quick ? unpinned('a --quick smoke run leaves the cores and priorities to the rest of the machine') : await placeThisProcess();
  ctx.log(`forwarding: ${placement.description}`);
  const cores = placement.plan;
  const plan: StepPlan = { ...(ctx.quick ? QUICK_PLAN : FULL_PLAN), forwarderCore: cores?.forwarderCore, sinkPort: ctx.portBase + PORTS.sink };
  let sink: NativeHelper | undefined;
  try {
    sink = (await NativeHelper.start(helpers.sink, [String(ctx.portBase + PORTS.sink)], cores, 'load')).helper;
    const sinkPort = ctx.portBase + PORTS.sink;
    const portRange = { min: ctx.portBase + PORTS.plainMin, max: ctx.portBase + PORTS.plainMax };
    const run = (forwarder: Forwarder): Promise<ForwardingSystem> =>
      withFeeder(helpers.feeder, forwarder.producerAddress, cores, (feeder) => measureSystem(forwarder, feeder, sink!, plan, ctx.log));

    const measureConfero = async (srtp: boolean): Promise<ForwardingSystem> => {
      const confero = await ConferoForwarder.start({
        httpPort: ctx.portBase + PORTS.http,
        webRtcServerPort: ctx.portBase + PORTS.webRtcServer,
        portRange,
        sinkPort,
        plan: cores,
        srtp,
      });
      return run(confero).finally(() => confero.close());
    };
    const measureBare = async (srtp: boolean): Promise<ForwardingSystem> => {
      const bare = await BareMediasoupForwarder.start({ sinkPort, portRange, plan: cores, workerBin: process.env.MEDIASOUP_WORKER_BIN || undefined, srtp });
      return run(bare).finally(() => bare.close());
    };

    const conferoResult = await measureConfero(false);
    const bareResult = await measureBare(false);

    const relay = new UdpRelayForwarder({ binary: helpers.relay, port: ctx.portBase + PORTS.relay, sinkPort, plan: cores });
    const relayResult = await run(relay).finally(() => relay.close());

    const conferoSrtp = await measureConfero(true);
    const bareSrtp = await measureBare(true);

    const ratio = (of: ForwardingSystem, to: ForwardingSystem): number =>
      to.capacity.packetsOutPerSec > 0 ? Math.round((of.capacity.packetsOutPerSec / to.capacity.packetsOutPerSec) * 1000) / 1000 : 0;
    return {
      media: MEDIA_DESCRIPTION,
      confero: conferoResult,
      bareMediasoup: bareResult,
      udpRelay: relayResult,
      ratioToBareMediasoup: ratio(conferoResult, bareResult),
      ratioToUdpRelay: ratio(conferoResult, relayResult),
      srtp: { media: SRTP_MEDIA_DESCRIPTION, confero: conferoSrtp, bareMediasoup: bareSrtp, ratioToBareMediasoup: ratio(conferoSrtp, bareSrtp) },
      pinning: `${placement.description} Steps: ${plan.subscribers.join(', ')} subscribers (mediasoup systems up to ${MAX_MEDIASOUP_SUBSCRIBERS}: one port each), ${plan.warmUpMs} ms warm-up then a ${plan.windowMs} ms window each; ${KNEE_DESCRIPTION}`,
    };
  } finally {
    await sink?.stop();
    await placement.restore();
  }
}

/** A feeder sending to `address` for as long as `body` runs. */
async function withFeeder<T>(
  binary: string,
  address: { ip: string; port: number },
  cores: PinningPlan | undefined,
  body: (feeder: NativeHelper) => Promise<T>,
): Promise<T> {
  const args = [address.ip, String(address.port), String(FEED.packetsPerSecond), String(FEED.packetBytes), String(FEED.ssrc), String(FEED.payloadType)];
  const { helper } = await NativeHelper.start(binary, args, cores, 'load');
  try {
    return await body(helper);
  } finally {
    await helper.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-forwarding-'));
  runForwarding({
    quick: process.argv.includes('--quick'),
    log: (line) => process.stderr.write(`${line}\n`),
    portBase: Number(process.env.BENCH_FORWARDING_PORT_BASE ?? 12000),
    workDir,
  }).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      fs.rmSync(workDir, { recursive: true, force: true });
    },
    (error: unknown) => {
      process.stderr.write(`forwarding failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      fs.rmSync(workDir, { recursive: true, force: true });
      process.exitCode = 1;
    },
  );
}
