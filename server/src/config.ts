/**
 * Every setting of the server comes from an environment variable with a default that serves a room on
 * this one machine. `loadConfig` validates all of them up front so that a typo fails at start with one
 * line naming the variable, instead of surfacing later as an obscure mediasoup or socket error.
 */
import os from 'node:os';
import net from 'node:net';
import fs from 'node:fs';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type WorkerLogLevel = 'debug' | 'warn' | 'error' | 'none';

export interface Config {
  http: { host: string; port: number };
  logLevel: LogLevel;
  media: {
    numWorkers: number;
    workerBin: string | undefined;
    workerLogLevel: WorkerLogLevel;
    /** IP the WebRtcServers and transports bind to. */
    listenIp: string;
    /** Address put in ICE candidates instead of listenIp (public IP or hostname behind NAT). */
    announcedAddress: string | undefined;
    /** Worker i listens on rtcBasePort + i, for UDP and for TCP. */
    rtcBasePort: number;
    /** Port range for transports that do not go through the WebRtcServer (plain/pipe transports). */
    rtcMinPort: number;
    rtcMaxPort: number;
  };
  rooms: RoomLimits;
}

export interface RoomLimits {
  maxPeersPerRoom: number;
  maxProducersPerPeer: number;
  /** Largest WebSocket message answered; bigger ones get `message_too_large`. */
  maxMessageBytes: number;
  /** An empty room lingers this long so a reconnecting peer finds it (and its router) still there. */
  emptyRoomGraceMs: number;
  /** Cap on what one peer may send, per send transport (bits/s). */
  maxIncomingBitrate: number;
  /** Let peers use plain RTP transports (bots, ingest). Off by default: plain RTP is unencrypted. */
  allowPlainTransports: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`invalid ${variable}=${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

/** One documented setting: README's configuration table is written from this list. */
export interface SettingDoc {
  name: string;
  default: string;
  description: string;
}

export const SETTINGS: SettingDoc[] = [
  { name: 'HTTP_HOST', default: '127.0.0.1', description: 'address the HTTP/WebSocket server binds to (0.0.0.0 to serve others)' },
  { name: 'HTTP_PORT', default: '3000', description: 'port of the HTTP/WebSocket server' },
  { name: 'LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  { name: 'MEDIASOUP_NUM_WORKERS', default: 'number of cores', description: 'mediasoup worker processes (1–64)' },
  { name: 'MEDIASOUP_WORKER_BIN', default: '(setup picks one)', description: 'path of a mediasoup-worker binary to use' },
  { name: 'MEDIASOUP_LOG_LEVEL', default: 'warn', description: 'worker log level: debug, warn, error or none' },
  { name: 'RTC_LISTEN_IP', default: '127.0.0.1', description: 'IP that media (UDP/TCP) binds to' },
  { name: 'RTC_ANNOUNCED_ADDRESS', default: '(none)', description: 'IP or hostname announced in ICE candidates, e.g. the public IP behind NAT' },
  { name: 'RTC_BASE_PORT', default: '40000', description: 'worker i takes UDP and TCP port RTC_BASE_PORT + i' },
  { name: 'RTC_MIN_PORT', default: '40100', description: 'lowest port for plain/pipe transports' },
  { name: 'RTC_MAX_PORT', default: '40999', description: 'highest port for plain/pipe transports' },
  { name: 'MAX_PEERS_PER_ROOM', default: '50', description: 'peers in one room; the next join gets `room_full`' },
  { name: 'MAX_PRODUCERS_PER_PEER', default: '8', description: 'audio/video producers one peer may have open' },
  { name: 'MAX_MESSAGE_BYTES', default: '65536', description: 'largest WebSocket message answered; larger → `message_too_large` (over 4× this or 1 MiB the socket is closed)' },
  { name: 'EMPTY_ROOM_GRACE_MS', default: '5000', description: 'how long an empty room stays open before it is closed' },
  { name: 'MAX_INCOMING_BITRATE', default: '3000000', description: 'bits/s one peer may send per send transport' },
  { name: 'ALLOW_PLAIN_TRANSPORTS', default: 'false', description: 'allow plain (unencrypted) RTP transports for bots and ingest' },
];

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, raw, `one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

function ip(env: Env, name: string, fallback: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (net.isIP(raw) === 0) throw new ConfigError(name, raw, 'an IPv4 or IPv6 address');
  return raw;
}

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function address(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (net.isIP(raw) === 0 && !HOSTNAME.test(raw)) {
    throw new ConfigError(name, raw, 'an IP address or a hostname');
  }
  return raw;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, raw, 'true or false (or 1/0, yes/no)');
}

function executable(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  try {
    fs.accessSync(raw, fs.constants.X_OK);
  } catch {
    throw new ConfigError(name, raw, 'the path of an existing executable file');
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const cores = Math.max(1, os.availableParallelism());
  const numWorkers = integer(env, 'MEDIASOUP_NUM_WORKERS', Math.min(cores, 64), 1, 64);
  const rtcBasePort = integer(env, 'RTC_BASE_PORT', 40000, 1024, 65535 - numWorkers);
  const rtcMinPort = integer(env, 'RTC_MIN_PORT', 40100, 1024, 65535);
  const rtcMaxPort = integer(env, 'RTC_MAX_PORT', 40999, 1024, 65535);
  if (rtcMaxPort < rtcMinPort) {
    throw new ConfigError('RTC_MAX_PORT', String(rtcMaxPort), `a port not lower than RTC_MIN_PORT (${rtcMinPort})`);
  }
  if (rtcBasePort + numWorkers - 1 >= rtcMinPort && rtcBasePort <= rtcMaxPort) {
    throw new ConfigError(
      'RTC_BASE_PORT',
      String(rtcBasePort),
      `a port whose range ${rtcBasePort}–${rtcBasePort + numWorkers - 1} stays outside RTC_MIN_PORT..RTC_MAX_PORT (${rtcMinPort}–${rtcMaxPort})`,
    );
  }
  const workerBin = executable(env, 'MEDIASOUP_WORKER_BIN');

  return {
    http: {
      host: ip(env, 'HTTP_HOST', '127.0.0.1'),
      port: integer(env, 'HTTP_PORT', 3000, 0, 65535),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    media: {
      numWorkers,
      workerBin,
      workerLogLevel: oneOf(env, 'MEDIASOUP_LOG_LEVEL', 'warn', ['debug', 'warn', 'error', 'none'] as const),
      listenIp: ip(env, 'RTC_LISTEN_IP', '127.0.0.1'),
      announcedAddress: address(env, 'RTC_ANNOUNCED_ADDRESS'),
      rtcBasePort,
      rtcMinPort,
      rtcMaxPort,
    },
    rooms: {
      maxPeersPerRoom: integer(env, 'MAX_PEERS_PER_ROOM', 50, 1, 10_000),
      maxProducersPerPeer: integer(env, 'MAX_PRODUCERS_PER_PEER', 8, 1, 64),
      maxMessageBytes: integer(env, 'MAX_MESSAGE_BYTES', 65_536, 1024, 1_048_576),
      emptyRoomGraceMs: integer(env, 'EMPTY_ROOM_GRACE_MS', 5000, 0, 3_600_000),
      maxIncomingBitrate: integer(env, 'MAX_INCOMING_BITRATE', 3_000_000, 100_000, 100_000_000),
      allowPlainTransports: boolean(env, 'ALLOW_PLAIN_TRANSPORTS', false),
    },
  };
}
