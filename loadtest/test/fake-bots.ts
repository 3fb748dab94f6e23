/**
 * Fake bots for the runner's tests: no network, but snapshots shaped like real ones, with numbers the
 * tests choose (join time, loss, bitrate), so the summary can be checked against known answers.
 *
 * Each joined fake "receives" every other joined publisher of its room: one stream per published kind,
 * with a fixed packet count and the publisher's chosen loss, and bytes growing at `kbps` in real time.
 */
import type { Bot, BotFactory, BotSnapshot, BotSpec, BotState, StreamStats } from '../src/bots/types';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FakeBehaviour {
  /** start() rejects with this message after joinDelayMs. */
  fail?: string;
  /** start() never settles. */
  hang?: boolean;
  /** close() never settles. */
  hangOnClose?: boolean;
  /** create() throws this. */
  createThrows?: string;
  /** Real delay before start() settles. Default 5 ms. */
  joinDelayMs?: number;
  /** The join time to report: firstMediaAt − max(wsOpenAt, first remote publisher's join). Default 100. */
  joinMs?: number;
  /** Packets this bot's streams lose, as seen by every receiver (per stream). Default 0. */
  lostPerStream?: number;
  /** Inbound kbps per received stream. Default 500. */
  kbpsPerStream?: number;
  /** Packets per second per stream on top of the fixed PACKETS_PER_STREAM (for moving series). */
  pps?: number;
  /** As a publisher: packets per second its receivers lose per stream, on top of lostPerStream. */
  lostPerSecond?: number;
  jitterMs?: number;
  rttMs?: number;
  /** Reports 'failed' with this error once this many ms after joining. */
  dropAfterMs?: number;
  dropError?: string;
}

export const PACKETS_PER_STREAM = 1000;

interface Published {
  bot: FakeBot;
  kinds: ('audio' | 'video')[];
}

export class FakeBot implements Bot {
  state: BotState = 'starting';
  peerId?: string;
  wsOpenAt?: number;
  joinedAt?: number;
  closeCalls = 0;

  constructor(
    readonly spec: BotSpec,
    readonly behaviour: FakeBehaviour,
    private readonly rooms: Map<string, Published[]>,
    private readonly peerNumber: number,
  ) {}

  async start(): Promise<void> {
    const b = this.behaviour;
    this.wsOpenAt = Date.now();
    if (b.hang) return new Promise<void>(() => undefined);
    await sleep(b.joinDelayMs ?? 5);
    if (this.state === 'closed') throw new Error('closed while joining');
    if (b.fail) {
      this.state = 'failed';
      throw new Error(b.fail);
    }
    this.state = 'joined';
    this.peerId = `peer-${this.peerNumber}`;
    this.joinedAt = Date.now();
    const publish = this.spec.publish;
    if (publish) {
      const kinds = [...(publish.audio ? ['audio' as const] : []), ...(publish.video ? ['video' as const] : [])];
      const list = this.rooms.get(this.spec.room) ?? [];
      list.push({ bot: this, kinds });
      this.rooms.set(this.spec.room, list);
    }
  }

  /**
   * The fake timeline: media "arrives" joinMs after the later of our WebSocket opening and the first
   * remote publisher joining — as in a real room, where media cannot arrive before someone sends it.
   */
  get firstMediaAt(): number | undefined {
    if (this.wsOpenAt === undefined) return undefined;
    const publishers = (this.rooms.get(this.spec.room) ?? []).filter((p) => p.bot !== this && p.bot.joinedAt !== undefined);
    const firstPublisher = Math.min(...publishers.map((p) => p.bot.joinedAt!));
    return Math.max(this.wsOpenAt, firstPublisher === Infinity ? this.wsOpenAt : firstPublisher) + (this.behaviour.joinMs ?? 100);
  }

  snapshot(): BotSnapshot {
    const now = Date.now();
    const b = this.behaviour;
    if (this.state === 'joined' && b.dropAfterMs !== undefined && this.joinedAt !== undefined && now - this.joinedAt >= b.dropAfterMs) {
      this.state = 'failed';
    }
    const streams: StreamStats[] = [];
    const live = this.state === 'joined';
    if (live || this.state === 'failed') {
      for (const { bot, kinds } of this.rooms.get(this.spec.room) ?? []) {
        if (bot === this || bot.state !== 'joined' || !live) continue;
        for (const kind of kinds) {
          const firstAt = this.firstMediaAt!;
          const seconds = Math.max(0, (now - firstAt) / 1000);
          streams.push({
            peerId: bot.peerId!,
            kind,
            packets: PACKETS_PER_STREAM + Math.floor((b.pps ?? 0) * seconds),
            bytes: ((b.kbpsPerStream ?? 500) * 1000 * seconds) / 8,
            lost: (bot.behaviour.lostPerStream ?? 0) + Math.floor((bot.behaviour.lostPerSecond ?? 0) * seconds),
            jitterMs: b.jitterMs ?? 2,
            ...(b.rttMs !== undefined ? { rttMs: b.rttMs } : {}),
            firstAt,
          });
        }
      }
    }
    return {
      name: this.spec.name,
      room: this.spec.room,
      state: this.state,
      ...(this.state === 'failed' ? { error: b.fail ?? b.dropError ?? 'failed' } : {}),
      ...(this.peerId ? { peerId: this.peerId } : {}),
      ...(this.wsOpenAt !== undefined ? { wsOpenAt: this.wsOpenAt } : {}),
      ...(this.joinedAt !== undefined ? { joinedAt: this.joinedAt } : {}),
      ...(streams.length > 0 ? { firstMediaAt: this.firstMediaAt! } : {}),
      sent: { packets: 0, bytes: 0 },
      streams,
    };
  }

  async close(): Promise<void> {
    this.closeCalls++;
    if (this.behaviour.hangOnClose) return new Promise<void>(() => undefined);
    this.state = 'closed';
  }
}

export interface FakeFactory extends BotFactory {
  bots: FakeBot[];
  closed: boolean;
}

export function fakeFactory(behaviour: (spec: BotSpec) => FakeBehaviour = () => ({})): FakeFactory {
  const rooms = new Map<string, Published[]>();
  const factory: FakeFactory = {
    bots: [],
    closed: false,
    create(spec) {
      const b = behaviour(spec);
      if (b.createThrows) throw new Error(b.createThrows);
      const bot = new FakeBot(spec, b, rooms, factory.bots.length);
      factory.bots.push(bot);
      return bot;
    },
    async close() {
      factory.closed = true;
    },
  };
  return factory;
}
