/**
 * Sim bots (loadtest/src/bots/sim: libdatachannel WebRTC, synthetic Opus + single-layer VP8 at 250 kbit/s,
 * no codec) in this process, for the memory and scaling sections: joins in batches, waits until every bot
 * receives every publisher of its room, and sums what the receivers counted.
 */
import { createSimBotFactory, type SimBot, type SimBotFactory } from '../../loadtest/src/bots/sim';
import type { BotSpec } from '../../loadtest/src/bots/types';
import { setTimeout as sleep } from 'node:timers/promises';

const JOIN_BATCH = 10;

export const AUDIO_VIDEO = { audio: true, video: true, simulcast: false } as const;

export interface Crowd {
  readonly bots: SimBot[];
  /** Starts the bots, JOIN_BATCH at a time; throws naming the first failures if any bot could not join. */
  join(specs: BotSpec[]): Promise<SimBot[]>;
  /** Resolves once every joined bot receives audio and video from every other publisher of its room. */
  waitComplete(timeoutMs: number): Promise<void>;
  /** Packets received and lost so far, over every stream of every bot. */
  totals(): { packets: number; lost: number };
  close(): Promise<void>;
}

export function createCrowd(log: (line: string) => void): Crowd {
  const problems: string[] = [];
  const factory: SimBotFactory = createSimBotFactory({ log: (line) => problems.length < 200 && problems.push(line) });
  const bots: SimBot[] = [];

  const missing = (bot: SimBot): number => {
    const me = bot.snapshot();
    let count = 0;
    for (const other of bots) {
      if (other === bot || other.spec.room !== bot.spec.room || !other.spec.publish) continue;
      const peerId = other.snapshot().peerId;
      for (const kind of ['audio', 'video'] as const) {
        if (!other.spec.publish[kind]) continue;
        if (!me.streams.some((s) => s.peerId === peerId && s.kind === kind && s.packets > 0)) count++;
      }
    }
    return count;
  };

  return {
    bots,
    async join(specs: BotSpec[]): Promise<SimBot[]> {
      const created = specs.map((spec) => factory.create(spec));
      bots.push(...created);
      const errors: string[] = [];
      for (let i = 0; i < created.length; i += JOIN_BATCH) {
        const results = await Promise.allSettled(created.slice(i, i + JOIN_BATCH).map((bot) => bot.start()));
        for (const r of results) if (r.status === 'rejected') errors.push((r.reason as Error).message);
      }
      if (errors.length > 0) throw new Error(`${errors.length} of ${created.length} sim bots did not join: ${errors.slice(0, 3).join('; ')}`);
      return created;
    },
    async waitComplete(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const gaps = bots.reduce((sum, bot) => sum + missing(bot), 0);
        if (gaps === 0) return;
        if (Date.now() > deadline) {
          const note = problems.length > 0 ? ` (bot log: ${problems.slice(0, 2).join(' | ')})` : '';
          throw new Error(`${gaps} streams still missing at the receivers after ${timeoutMs / 1000} s${note}`);
        }
        await sleep(250);
      }
    },
    totals() {
      let packets = 0;
      let lost = 0;
      for (const bot of bots) for (const s of bot.snapshot().streams) ((packets += s.packets), (lost += s.lost));
      return { packets, lost };
    },
    async close(): Promise<void> {
      await factory.close();
      if (problems.length > 0) log(`  sim bots logged ${problems.length} lines, first: ${problems[0]}`);
    },
  };
}
