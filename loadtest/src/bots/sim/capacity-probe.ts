/**
 * How many sim bots does this machine carry? Starts a Confero server as a child process on loopback,
 * then, step by step, fills rooms with sim bots (in this process), lets media run, and prints per step:
 * joins, complete receivers, loss over the measuring window, CPU of the bot process, the server's Node
 * process and its mediasoup workers, CPU per bot, and the bot process's event-loop delay.
 *
 *   npx tsx loadtest/src/bots/sim/capacity-probe.ts --layout big --steps 50,100,200
 *   npx tsx loadtest/src/bots/sim/capacity-probe.ts --layout fours --steps 100,200
 *
 * `big`: one room, 2 publishers (audio + video) and N subscribers. `fours`: rooms of 4 bots (2
 * publishers + 2 subscribers), N bots in all. Bounded: at most 400 bots a step, a deadline for joins,
 * and every step closes its bots before the next; the server is stopped at the end (or on Ctrl-C).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import type { BotSnapshot, BotSpec } from '../types';
import { createSimBotFactory, type SimBot } from './index';
import { processTree, readStat } from '../../process-usage';
import { percentile } from '../../stats';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlagError, readFlags } from '../../cli-flags';

const MAX_BOTS = 400;
const JOIN_BATCH = 20;
const COMPLETE_DEADLINE_MS = 60_000;
const WARM_UP_MS = 3_000;

interface Args {
  layout: 'big' | 'fours';
  steps: number[];
  measureSeconds: number;
  httpPort: number;
  rtcBasePort: number;
  workers: number | undefined;
}

function parseProbeArgs(argv: string[]): Args {
  const flags = readFlags(argv, { layout: 'string', steps: 'string', 'measure-s': 'string', 'http-port': 'string', 'rtc-port': 'string', workers: 'string' });
  if (flags === 'help') throw new FlagError('see the comment at the top of capacity-probe.ts');
  const int = (name: string): number | undefined => {
    const value = flags.get(name) as string | undefined;
    if (value !== undefined && !/^\d+$/.test(value)) throw new FlagError(`--${name} takes a whole number, not "${value}"`);
    return value === undefined ? undefined : Number(value);
  };
  const layout = flags.get('layout') ?? 'big';
  if (layout !== 'big' && layout !== 'fours') throw new FlagError(`--layout takes big or fours, not "${String(layout)}"`);
  const steps = ((flags.get('steps') as string | undefined) ?? '50,100,200').split(',').map((n) => Number(n));
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_BOTS)) throw new FlagError(`--steps: whole numbers from 1 to ${MAX_BOTS}`);
  return {
    layout,
    steps,
    measureSeconds: Math.min(120, int('measure-s') ?? 15),
    httpPort: int('http-port') ?? 23_000,
    rtcBasePort: int('rtc-port') ?? 23_100,
    workers: int('workers'),
  };
}

/** CPU seconds of a process tree, by kind: the server's Node process(es) and the mediasoup workers. */
function treeCpu(root: number): { node: number; workers: number } {
  const out = { node: 0, workers: 0 };
  for (const pid of processTree([root])) {
    const stat = readStat(pid);
    if (!stat) continue; // exited meanwhile
    if (stat.comm.startsWith('mediasoup')) out.workers += stat.cpuSeconds;
    else out.node += stat.cpuSeconds;
  }
  return out;
}

/** UDP datagrams the kernel dropped because a socket's receive buffer was full (whole host namespace). */
function udpReceiveBufferDrops(): number {
  const lines = fs
    .readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp:'));
  const [names, values] = [lines[0]?.split(/\s+/) ?? [], lines[1]?.split(/\s+/) ?? []];
  const at = names.indexOf('RcvbufErrors');
  return at > 0 ? Number(values[at]) : NaN;
}

async function startServer(args: Args): Promise<{ child: ChildProcess; wsUrl: string }> {
  const root = path.resolve(import.meta.dirname, '../../../..');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(args.httpPort),
    RTC_LISTEN_IP: '127.0.0.1',
    RTC_BASE_PORT: String(args.rtcBasePort),
    RTC_MIN_PORT: String(args.rtcBasePort + 100),
    RTC_MAX_PORT: String(args.rtcBasePort + 199),
    MAX_PEERS_PER_ROOM: String(MAX_BOTS + 10),
    // Every bot joins from loopback within seconds: the per-address abuse limits would refuse most of them.
    JOINS_PER_IP_PER_MINUTE: '100000',
    MAX_WS_CONNECTIONS_PER_IP: '100000',
    LOG_LEVEL: 'warn',
    ...(args.workers ? { MEDIASOUP_NUM_WORKERS: String(args.workers) } : {}),
  };
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'server/src/main.ts')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${args.httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} (port ${args.httpPort} taken?)`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the server did not come up within 30 s');
    await sleep(200);
  }
  return { child, wsUrl: `ws://127.0.0.1:${args.httpPort}/ws` };
}

function specsFor(args: Args, step: number, wsUrl: string, total: number): BotSpec[] {
  const av = { audio: true, video: true, simulcast: false };
  if (args.layout === 'big') {
    const room = `probe-${step}`;
    return [
      { url: wsUrl, room, name: `s${step}-pub0`, publish: av },
      { url: wsUrl, room, name: `s${step}-pub1`, publish: av },
      ...Array.from({ length: total }, (_, i): BotSpec => ({ url: wsUrl, room, name: `s${step}-sub${i}`, publish: null })),
    ];
  }
  return Array.from({ length: total }, (_, i): BotSpec => ({
    url: wsUrl,
    room: `probe-${step}-r${Math.floor(i / 4)}`,
    name: `s${step}-b${i}`,
    publish: i % 4 < 2 ? av : null,
  }));
}

/** Every publisher of the bot's room (but itself) arrives with audio and video. */
function complete(bot: SimBot, all: SimBot[]): boolean {
  const me = bot.snapshot();
  const expected = all.filter((b) => b.spec.room === bot.spec.room && b.spec.publish && b !== bot).map((b) => b.snapshot().peerId);
  return expected.every((peerId) => ['audio', 'video'].every((kind) => me.streams.some((s) => s.peerId === peerId && s.kind === kind && s.packets > 0)));
}

function totals(snapshots: BotSnapshot[]): { packets: number; lost: number } {
  let packets = 0;
  let lost = 0;
  for (const s of snapshots) for (const st of s.streams) ((packets += st.packets), (lost += st.lost));
  return { packets, lost };
}

async function runStep(args: Args, step: number, total: number, wsUrl: string, serverPid: number): Promise<void> {
  const logLines: string[] = [];
  const factory = createSimBotFactory({ log: (line) => logLines.push(line) });
  try {
    const bots = specsFor(args, step, wsUrl, total).map((spec) => factory.create(spec));
    const started = Date.now();
    // Publishers first (in the big room), then everyone in batches, as a runner ramps up.
    for (let i = 0; i < bots.length; i += JOIN_BATCH) await Promise.allSettled(bots.slice(i, i + JOIN_BATCH).map((b) => b.start()));
    const joined = bots.filter((b) => b.snapshot().state === 'joined');
    const deadline = Date.now() + COMPLETE_DEADLINE_MS;
    while (!joined.every((b) => complete(b, bots)) && Date.now() < deadline) await sleep(500);
    const rampSeconds = (Date.now() - started) / 1000;
    await sleep(WARM_UP_MS);

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const before = {
      at: performance.now(),
      bots: process.cpuUsage(),
      server: treeCpu(serverPid),
      media: totals(bots.map((b) => b.snapshot())),
      drops: udpReceiveBufferDrops(),
    };
    await sleep(args.measureSeconds * 1000);
    const after = {
      at: performance.now(),
      bots: process.cpuUsage(before.bots),
      server: treeCpu(serverPid),
      media: totals(bots.map((b) => b.snapshot())),
      drops: udpReceiveBufferDrops(),
    };
    delay.disable();

    const wall = (after.at - before.at) / 1000;
    const botCpu = (after.bots.user + after.bots.system) / 1e6 / wall;
    const nodeCpu = (after.server.node - before.server.node) / wall;
    const workerCpu = (after.server.workers - before.server.workers) / wall;
    const packets = after.media.packets - before.media.packets;
    const lost = after.media.lost - before.media.lost;
    const snapshots = bots.map((b) => b.snapshot());
    const firstMedia = snapshots.filter((s) => s.firstMediaAt && s.wsOpenAt).map((s) => s.firstMediaAt! - s.wsOpenAt!);
    const n = bots.length;
    const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
    console.log(
      [
        `${args.layout} ${n} bots:`,
        `joined ${joined.length}/${n}, complete ${joined.filter((b) => complete(b, bots)).length}/${n}, ramp ${rampSeconds.toFixed(1)} s;`,
        `loss ${((lost / Math.max(1, packets + lost)) * 100).toFixed(3)}% of ${packets} packets in ${wall.toFixed(0)} s (${Math.round(packets / wall)} pkt/s received),`,
        `UDP receive-buffer drops ${after.drops - before.drops};`,
        `CPU bots ${pct(botCpu)}, server node ${pct(nodeCpu)}, workers ${pct(workerCpu)}, per bot ${(((botCpu + nodeCpu + workerCpu) / n) * 1000).toFixed(1)} ms/s`,
        `(bots alone ${((botCpu / n) * 1000).toFixed(1)} ms/s);`,
        `event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms; first media p50 ${percentile(firstMedia, 50) ?? NaN} ms p95 ${percentile(firstMedia, 95) ?? NaN} ms;`,
        `bot RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
      ].join(' '),
    );
    const failures = snapshots.filter((s) => s.state !== 'joined');
    if (failures.length > 0)
      console.log(
        `  failed: ${failures
          .slice(0, 5)
          .map((s) => `${s.name}: ${s.error}`)
          .join('; ')}${failures.length > 5 ? ' …' : ''}`,
      );
    if (logLines.length > 0) console.log(`  log (${logLines.length} lines): ${logLines.slice(0, 3).join(' | ')}`);
  } finally {
    await factory.close();
  }
}

async function main(): Promise<void> {
  const args = parseProbeArgs(process.argv.slice(2));
  const server = await startServer(args);
  const stop = (): void => {
    server.child.kill('SIGTERM');
  };
  process.once('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    console.log(`server pid ${server.child.pid} on ${server.wsUrl}; ${args.measureSeconds} s measured per step`);
    for (const [i, total] of args.steps.entries()) {
      await runStep(args, i, total, server.wsUrl, server.child.pid!);
      await sleep(2_000); // rooms close, sockets drain
    }
  } finally {
    stop();
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
}

main().catch((error: unknown) => {
  console.error(`capacity probe: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
