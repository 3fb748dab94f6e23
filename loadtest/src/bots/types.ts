/**
 * The contract between the load-test runner and its bots. Two kinds of bots implement it: lightweight
 * Node bots (`sim`: a real WebRTC stack without a browser) and browser bots (puppeteer pages running the
 * project's client library). The runner only ever sees these types, so both kinds are measured alike.
 *
 * Times are wall-clock milliseconds (Date.now()) so that bots in other processes (browser pages) and the
 * runner agree on them.
 */

/** What one bot is asked to do. */
export interface BotSpec {
  /** Signalling endpoint, ws:// or wss://…/ws. */
  url: string;
  room: string;
  /** Display name, unique within the run (e.g. `r0-b3`). */
  name: string;
  /** What it publishes; null for a subscribe-only bot. */
  publish: { audio: boolean; video: boolean; simulcast: boolean } | null;
  /** Join token, for servers that require one. */
  token?: string;
}

/** Receive-side measurements of one remote stream (one consumer), cumulative since it appeared. */
export interface StreamStats {
  /** The publishing peer's id (server-assigned) and the stream's kind. */
  peerId: string;
  kind: 'audio' | 'video';
  packets: number;
  bytes: number;
  /** Packets missing (sequence-number gaps not filled later, or the browser's packetsLost). */
  lost: number;
  /** Interarrival jitter (RFC 3550) in ms. */
  jitterMs: number;
  /** Round-trip time in ms where known (RTCP), else undefined. */
  rttMs?: number;
  /** When its first RTP packet (sim) or first decoded frame/sample (browser) arrived. */
  firstAt?: number;
  /** Video freezes (browser bots only: freezeCount, totalFreezesDuration). */
  freezeCount?: number;
  freezeMs?: number;
}

export type BotState = 'starting' | 'joined' | 'failed' | 'closed';

/** A bot's state at one moment; the runner polls it about once a second. */
export interface BotSnapshot {
  name: string;
  room: string;
  state: BotState;
  /** Why it failed (a protocol error code and message, a timeout, ICE failure…). */
  error?: string;
  /** Our peer id once joined. */
  peerId?: string;
  /** When the signalling WebSocket opened, when join answered, when the first remote media arrived. */
  wsOpenAt?: number;
  joinedAt?: number;
  firstMediaAt?: number;
  /** Outgoing: packets and bytes sent by our producers (sim) or reported by the browser. */
  sent: { packets: number; bytes: number };
  /** One entry per remote stream we receive. */
  streams: StreamStats[];
}

export interface Bot {
  readonly spec: BotSpec;
  /** Connects, joins and publishes; resolves when joined (media may still be on its way), rejects on failure. */
  start(): Promise<void>;
  /**
   * Optional: does ahead of start() what a join does not depend on (a browser bot opens the page at its
   * join form, as a person who opened the link and has yet to press Join), so start() times the join alone.
   */
  prepare?(): Promise<void>;
  snapshot(): BotSnapshot;
  /** Leaves and releases everything (sockets, peer connections, pages). Never throws. */
  close(): Promise<void>;
}

/**
 * Makes bots of one kind. Browser bots share browser processes (several bots per browser), so the
 * factory owns shared resources and releases them in close().
 */
export interface BotFactory {
  create(spec: BotSpec): Bot;
  close(): Promise<void>;
}
