/**
 * Abuse limits of the signalling endpoint, in one place so that ws-endpoint only asks yes-or-no questions:
 *
 * - connections per node and per client address: refused beyond them (accepted, then closed at once with
 *   1013 "try again later" and a reason — a browser cannot read the status of a refused upgrade, but it
 *   can read a close code and reason);
 * - requests per socket: a token bucket; a request over it is answered `rate_limited` without being
 *   handled, and a socket that keeps on (WS_RATE_CLOSE_AFTER refusals within 10 s) is closed with 1008;
 * - joins per client address per minute: over it, `rate_limited` saying when to retry.
 *
 * Client address: the socket's peer, or what X-Forwarded-For says when TRUST_PROXY names the proxy
 * (Fastify's request.ip does that), with IPv6 addresses taken per /64 — what one subscriber usually has.
 */
import type { Logger } from 'pino';
import { normalizeIP } from '@fastify/rate-limit';
import { ProtocolError } from '../../../protocol/src';
import type { LimitsConfig } from '../config';
import { KeyedWindowCounter } from './fixed-window';
import { monotonicMs, TokenBucket, type Clock } from './token-bucket';

/** Refused requests are counted over this window to decide that a socket keeps on flooding. */
export const REFUSAL_WINDOW_MS = 10_000;
/** Standard close codes: the socket broke policy (flooding); the server is overloaded, come back later. */
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** A refused connection is logged at most this often: a connection flood must not become a log flood. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** What was refused, as counted in confero_rate_limited_total{kind}. */
export type RateLimitKind = 'ws_request' | 'ws_flood_closed' | 'ws_connection' | 'join' | 'http';
export const RATE_LIMIT_KINDS: readonly RateLimitKind[] = ['ws_request', 'ws_flood_closed', 'ws_connection', 'join', 'http'];

export interface LimitMetrics {
  countRateLimited(kind: RateLimitKind): void;
}

export type WsLimitSettings = Pick<
  LimitsConfig,
  'wsRatePerSecond' | 'wsRateBurst' | 'wsRateCloseAfter' | 'joinsPerIpPerMinute' | 'maxWsConnections' | 'maxWsConnectionsPerIp'
>;

export type Admission = { admitted: true; connection: ConnectionLimits } | { admitted: false; closeCode: typeof CLOSE_TRY_AGAIN_LATER; reason: string };

/** A request that is not handled: answer `error`; with `close`, then close the socket with it. */
export interface RequestRefusal {
  error: ProtocolError;
  close?: { code: typeof CLOSE_POLICY_VIOLATION; reason: string };
}

/** The key per-address limits count under (IPv4-mapped IPv6 as IPv4, IPv6 per /64). */
export function clientKey(ip: string): string {
  return normalizeIP(ip, 64);
}

/** The node's limits: one per app. */
export class WsLimits {
  #open = 0;
  readonly #openPerKey = new Map<string, number>();
  readonly #joins: KeyedWindowCounter;
  #refusalLoggedMs = -Infinity;
  #refusalsSinceLog = 0;

  constructor(
    readonly settings: WsLimitSettings,
    private readonly log: Logger,
    private readonly metrics: LimitMetrics,
    private readonly now: Clock = monotonicMs,
  ) {
    this.#joins = new KeyedWindowCounter(settings.joinsPerIpPerMinute, 60_000, now);
  }

  /** Sockets admitted and not yet released. */
  get openConnections(): number {
    return this.#open;
  }

  /** A new socket from `ip`: admitted (release its ConnectionLimits when it closes) or refused with a reason. */
  admit(ip: string): Admission {
    const key = clientKey(ip);
    const fromKey = this.#openPerKey.get(key) ?? 0;
    const { maxWsConnections, maxWsConnectionsPerIp } = this.settings;
    let reason: string | undefined;
    if (this.#open >= maxWsConnections) reason = `server at its limit of ${maxWsConnections} connections; try again later`;
    else if (fromKey >= maxWsConnectionsPerIp) reason = `too many connections from your address (limit ${maxWsConnectionsPerIp}); try again later`;
    if (reason) {
      this.metrics.countRateLimited('ws_connection');
      this.#logRefusal(ip, reason);
      return { admitted: false, closeCode: CLOSE_TRY_AGAIN_LATER, reason };
    }
    this.#open += 1;
    this.#openPerKey.set(key, fromKey + 1);
    return { admitted: true, connection: new ConnectionLimits(this, ip, key, this.log, this.metrics, this.now) };
  }

  /** Called once per admitted socket, by its ConnectionLimits. */
  release(key: string): void {
    this.#open -= 1;
    const left = (this.#openPerKey.get(key) ?? 1) - 1;
    if (left > 0) this.#openPerKey.set(key, left);
    else this.#openPerKey.delete(key);
  }

  /** One more join from `key`, or how long until it may join again. */
  hitJoin(key: string): ReturnType<KeyedWindowCounter['hit']> {
    return this.#joins.hit(key);
  }

  #logRefusal(ip: string, reason: string): void {
    this.#refusalsSinceLog += 1;
    const now = this.now();
    if (now - this.#refusalLoggedMs < REFUSAL_LOG_INTERVAL_MS) return;
    this.log.warn({ ip, refused: this.#refusalsSinceLog, open: this.#open }, `WebSocket connection refused: ${reason}`);
    this.#refusalLoggedMs = now;
    this.#refusalsSinceLog = 0;
  }
}

/** One socket's limits: its request bucket and its refusal count. */
export class ConnectionLimits {
  readonly #bucket: TokenBucket;
  #refusals = { startMs: 0, count: 0 };
  #closing: RequestRefusal['close'];
  #released = false;

  constructor(
    private readonly node: WsLimits,
    readonly ip: string,
    private readonly key: string,
    private readonly log: Logger,
    private readonly metrics: LimitMetrics,
    private readonly now: Clock,
  ) {
    this.#bucket = new TokenBucket(node.settings.wsRatePerSecond, node.settings.wsRateBurst, now);
  }

  /** Asked for every message before it is even parsed: a flood of garbage costs its sender tokens too. */
  screenRequest(): RequestRefusal | undefined {
    if (!this.#closing && this.#bucket.take()) return undefined;
    const { wsRatePerSecond, wsRateBurst, wsRateCloseAfter } = this.node.settings;
    const error = new ProtocolError('rate_limited', `too many requests: at most ${wsRatePerSecond} a second (bursts of ${wsRateBurst}); slow down`);
    if (this.#closing) return { error, close: this.#closing };
    this.metrics.countRateLimited('ws_request');
    const now = this.now();
    if (now - this.#refusals.startMs >= REFUSAL_WINDOW_MS) this.#refusals = { startMs: now, count: 0 };
    this.#refusals.count += 1;
    if (this.#refusals.count < wsRateCloseAfter) return { error };
    this.#closing = { code: CLOSE_POLICY_VIOLATION, reason: 'too many requests over the rate limit' };
    this.metrics.countRateLimited('ws_flood_closed');
    // Once per socket, by construction (#closing is set): the address, never the payload.
    this.log.warn(
      { ip: this.ip, refused: this.#refusals.count, windowSeconds: REFUSAL_WINDOW_MS / 1000 },
      'closing a WebSocket that kept sending over its rate limit',
    );
    return { error, close: this.#closing };
  }

  /** Asked for every join request: undefined, or the `rate_limited` error to answer. */
  screenJoin(): ProtocolError | undefined {
    const verdict = this.node.hitJoin(this.key);
    if (verdict.allowed) return undefined;
    this.metrics.countRateLimited('join');
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    return new ProtocolError(
      'rate_limited',
      `too many joins from your address: at most ${this.node.settings.joinsPerIpPerMinute} a minute; retry in ${seconds} s`,
    );
  }

  /** The socket closed: frees its place in the node's counts (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.node.release(this.key);
  }
}
