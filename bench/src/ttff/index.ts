/**
 * Time to first frame: how long a participant joining a room with two publishers waits, from its
 * signalling socket opening, for the first remote video — in Chromium (first frame presented) and in a
 * sim bot (first RTP packet) — at 1, 5 and 10 joins a second.
 *
 * A real Confero server in its own process, two publishers (camera and microphone), then bursts of
 * joiners (joins.ts). The publishers are sim bots sending recorded VP8 and Opus (publishers.ts): two
 * Chromium publishers would take half of this machine's 2 cores for capture and encoding, and the
 * joins would time that; a smaller run beside Chromium publishers is reported for comparison.
 * Run alone: `npx tsx bench/src/ttff/index.ts [--quick] [--publishers browser]` prints the JSON.
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBrowserBotFactory } from '../../../loadtest/src/bots/browser';
import { createSimBotFactory } from '../../../loadtest/src/bots/sim';
import type { BotFactory } from '../../../loadtest/src/bots/types';
import { percentiles as loadtestPercentiles } from '../../../loadtest/src/stats';
import type { BenchContext, Percentiles, TtffAtRate, TtffResult } from '../types';
import { runBurst, type BurstPlan, type JoinerKind, type JoinerSettings, type JoinSample } from './joins';
import { startServer } from '../server-process';
import { createPublisherFactory, startRoom, type PublisherKind } from './publishers';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOM = 'ttff';
const BROWSER_PUBLISHERS_ROOM = 'ttff-browser-publishers';
const JOIN_TIMEOUT_MS = 20_000;
/** Our own deadline comes after the bot's, so a failure carries the bot's reason (the page's state). */
const MEASURE_TIMEOUT_MS = JOIN_TIMEOUT_MS + 5_000;
/** Browser pages per second at most, whatever the join rate: 2 cores also run the publishers and server. */
const BROWSER_JOINS_PER_SEC = 2;

function plans(quick: boolean): BurstPlan[] {
  if (quick) return [{ joinsPerSec: 5, joins: 6, browserEvery: 3 }];
  // 10–20 s of joining per rate and 20 browser joins at each (10 at 1/s): TTFF on this machine varies
  // by tens of milliseconds from join to join, so fewer samples would make p50 and p95 a lottery.
  return [1, 5, 10].map((joinsPerSec) => {
    const browserEvery = Math.max(2, Math.ceil(joinsPerSec / BROWSER_JOINS_PER_SEC));
    return { joinsPerSec, joins: joinsPerSec === 1 ? 20 : 20 * browserEvery, browserEvery };
  });
}

/** The comparison run with two publishing Chromium pages: one join a second, every joiner a page. */
const BROWSER_PUBLISHERS_PLAN = (quick: boolean): BurstPlan => ({ joinsPerSec: 1, joins: quick ? 2 : 10, browserEvery: 1 });

export async function runTtff(ctx: BenchContext, publisherKind: PublisherKind = 'sim'): Promise<TtffResult> {
  const server = await startServer({ portBase: ctx.portBase, maxPeersPerRoom: 500, log: ctx.log });
  const joiners = {
    browser: createBrowserBotFactory({ botsPerBrowser: 50, log: ctx.log, joinTimeoutMs: JOIN_TIMEOUT_MS, pollIntervalMs: 100 }),
    sim: createSimBotFactory({ log: ctx.log }),
  };
  const publisherFactories = { browser: createPublisherFactory('browser', ctx.log), sim: createPublisherFactory('sim', ctx.log) };
  try {
    const room = await startRoom(publisherFactories[publisherKind], server.wsUrl, ROOM);
    const settings = { url: server.wsUrl, room: ROOM, publisherIds: room.publisherIds, timeoutMs: MEASURE_TIMEOUT_MS };
    // One untimed join first: the first page of a browser pays for its launch, the server for its JIT.
    await runBurst({ joinsPerSec: 1, joins: 2, browserEvery: 2 }, joiners, settings, 'warmup');
    const byRate: TtffAtRate[] = [];
    const all: JoinSample[] = [];
    for (const plan of plans(ctx.quick)) {
      const samples = await measureBurst(ctx, plan, joiners, settings, `r${plan.joinsPerSec}`);
      byRate.push({ joinsPerSec: plan.joinsPerSec, browser: summarize(samples, 'browser'), sim: summarize(samples, 'sim') });
      all.push(...samples);
    }
    await room.leave();
    const result: TtffResult = { browser: summarize(all, 'browser'), sim: summarize(all, 'sim'), byRate, publishers: publisherKind };
    if (publisherKind === 'browser') return result;
    // The same joins beside two publishing Chromium pages (camera capture and VP8 encoding on these
    // cores): what a one-machine test of the whole call costs, for comparison.
    const withPages = await startRoom(publisherFactories.browser, server.wsUrl, BROWSER_PUBLISHERS_ROOM);
    const plan = BROWSER_PUBLISHERS_PLAN(ctx.quick);
    const pageSettings = { ...settings, room: BROWSER_PUBLISHERS_ROOM, publisherIds: withPages.publisherIds };
    const samples = await measureBurst(ctx, plan, joiners, pageSettings, 'pages');
    await withPages.leave();
    return { ...result, withBrowserPublishers: { joinsPerSec: plan.joinsPerSec, browser: summarize(samples, 'browser') } };
  } finally {
    await Promise.allSettled([joiners.browser.close(), joiners.sim.close(), publisherFactories.browser.close(), publisherFactories.sim.close()]);
    await server.stop();
  }
}

async function measureBurst(
  ctx: BenchContext,
  plan: BurstPlan,
  joiners: Record<JoinerKind, BotFactory>,
  settings: JoinerSettings,
  label: string,
): Promise<JoinSample[]> {
  ctx.log(`ttff: room ${settings.room}, ${plan.joins} joins at ${plan.joinsPerSec}/s (every ${plan.browserEvery}. in Chromium)`);
  const samples = await runBurst(plan, joiners, settings, label);
  for (const failed of samples.filter((s) => s.error !== undefined)) ctx.log(`ttff: ${failed.name} failed: ${failed.error}`);
  ctx.log(
    `ttff: ${(['browser', 'sim'] as const)
      .filter((kind) => samples.some((s) => s.kind === kind))
      .map((kind) => describe(samples, kind))
      .join('; ')}`,
  );
  await sleep(1_500); // the joiners' leaving settles
  return samples;
}

function summarize(samples: JoinSample[], kind: JoinSample['kind']): Percentiles {
  const values = samples.filter((s) => s.kind === kind && s.ttffMs !== undefined).map((s) => Math.round(s.ttffMs!));
  const p = loadtestPercentiles(values);
  return { p50: p?.p50 ?? NaN, p95: p?.p95 ?? NaN, p99: p?.p99 ?? NaN, samples: values.length };
}

/** A progress line with the join answer's share, for seeing where the time goes. */
function describe(samples: JoinSample[], kind: JoinSample['kind']): string {
  const mine = samples.filter((s) => s.kind === kind);
  const ok = mine.filter((s) => s.ttffMs !== undefined);
  const join = loadtestPercentiles(ok.flatMap((s) => (s.joinMs !== undefined ? [s.joinMs] : [])));
  const ttff = summarize(samples, kind);
  return `${kind} ${ok.length}/${mine.length} ok, ttff p50/p95/p99 ${ttff.p50}/${ttff.p95}/${ttff.p99} ms (join answered p50 ${join?.p50 ?? '–'} ms)`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const quick = process.argv.includes('--quick');
  const publisherKind: PublisherKind = process.argv.includes('browser') ? 'browser' : 'sim';
  const portArg = process.argv.find((a) => a.startsWith('--port-base='));
  runTtff(
    {
      quick,
      log: (line) => process.stderr.write(`${line}\n`),
      portBase: portArg ? Number(portArg.split('=')[1]) : 13000,
      workDir: os.tmpdir(),
    },
    publisherKind,
  ).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`ttff failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
