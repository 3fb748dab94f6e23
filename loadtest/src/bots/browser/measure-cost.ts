/**
 * What one browser bot costs on this machine: CPU (share of one core) and memory (PSS) of the Chromium
 * process trees, per bot, with every bot publishing. Bounded: it joins, warms up, measures for a fixed
 * window and closes everything.
 *
 *   npm start   # in another terminal (or any Confero server)
 *   npx tsx loadtest/src/bots/browser/measure-cost.ts --url ws://127.0.0.1:3000/ws --bots 8 --per-browser 4 [--rooms shared|separate] [--simulcast 1|0] [--seconds 20]
 *
 * --rooms separate puts each bot in a room of its own (publish only: encoding, no decoding);
 * shared (the default) puts all in one room, so each also receives and decodes every other bot.
 */
import { parseArgs } from 'node:util';
import type { BotSnapshot } from '../types';
import { createBrowserBotFactory } from './index';
import { cpuSecondsBetween, cpuSecondsByPid, processTree, pssBytes } from '../../process-usage';
import { setTimeout as sleep } from 'node:timers/promises';

function positiveInt(name: string, value: string | undefined, fallback: number, max: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be a whole number from 1 to ${max}, got ${value}`);
  return n;
}

const sentBytes = (snapshots: BotSnapshot[]): number => snapshots.reduce((sum, s) => sum + s.sent.bytes, 0);
const receivedBytes = (snapshots: BotSnapshot[]): number => snapshots.reduce((sum, s) => sum + s.streams.reduce((n, stream) => n + stream.bytes, 0), 0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      bots: { type: 'string' },
      'per-browser': { type: 'string' },
      rooms: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      simulcast: { type: 'string' },
    },
  });
  if (!values.url) throw new Error('--url ws://HOST:PORT/ws is required (a running Confero server)');
  const bots = positiveInt('bots', values.bots, 4, 64);
  const perBrowser = positiveInt('per-browser', values['per-browser'], 4, 64);
  const seconds = positiveInt('seconds', values.seconds, 20, 600);
  const warmup = positiveInt('warmup', values.warmup, 8, 120);
  const rooms = values.rooms ?? 'shared';
  if (rooms !== 'shared' && rooms !== 'separate') throw new Error(`--rooms must be shared or separate, got ${rooms}`);
  if (values.simulcast !== undefined && values.simulcast !== '0' && values.simulcast !== '1')
    throw new Error(`--simulcast must be 1 or 0, got ${values.simulcast}`);
  const simulcast = values.simulcast !== '0';

  const factory = createBrowserBotFactory({ botsPerBrowser: perBrowser, log: (line) => console.log(`  ${line}`) });
  try {
    const run = `cost-${process.pid}`;
    const all = Array.from({ length: bots }, (_, i) =>
      factory.create({ url: values.url!, room: rooms === 'shared' ? run : `${run}-${i}`, name: `bot-${i}`, publish: { audio: true, video: true, simulcast } }),
    );
    await Promise.all(all.map((bot) => bot.start()));
    console.log(
      `${bots} publishing bots (simulcast ${simulcast ? 'on' : 'off'}) joined (${rooms} rooms) in ${factory.browserCount} browsers; warming up ${warmup} s`,
    );
    await sleep(warmup * 1000);

    const cpuBefore = cpuSecondsByPid(processTree(factory.browserPids()));
    const before = all.map((bot) => bot.snapshot());
    const startedAt = Date.now();
    await sleep(seconds * 1000);
    const elapsed = (Date.now() - startedAt) / 1000;
    const treeNow = processTree(factory.browserPids());
    const cpu = cpuSecondsBetween(cpuBefore, cpuSecondsByPid(treeNow));
    const pss = pssBytes(treeNow);
    const after = all.map((bot) => bot.snapshot());
    const failed = after.filter((s) => s.state !== 'joined');
    const freezes = after.flatMap((s) => s.streams).reduce((n, s) => n + (s.freezeCount ?? 0), 0);

    const core = (100 * cpu) / elapsed;
    console.log(`measured ${elapsed.toFixed(1)} s over ${treeNow.length} processes:`);
    console.log(`  total: ${core.toFixed(0)}% of one core, ${(pss / 2 ** 20).toFixed(0)} MB PSS`);
    console.log(`  per bot: ${(core / bots).toFixed(1)}% of one core, ${(pss / 2 ** 20 / bots).toFixed(0)} MB PSS`);
    console.log(
      `  per bot sent ${((8 * (sentBytes(after) - sentBytes(before))) / elapsed / bots / 1000).toFixed(0)} kbit/s, received ${((8 * (receivedBytes(after) - receivedBytes(before))) / elapsed / bots / 1000).toFixed(0)} kbit/s`,
    );
    console.log(`  video freezes seen: ${freezes}; bots not joined: ${failed.map((s) => `${s.name} (${s.state}: ${s.error})`).join(', ') || 'none'}`);
  } finally {
    await factory.close();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`measure-cost: ${error.message}`);
    process.exit(1);
  },
);
