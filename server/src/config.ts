/**
 * Every setting of the server comes from an environment variable with a default that serves a room on
 * this one machine. `loadConfig` validates all of them up front so that a typo fails at start with one
 * line naming the variable, instead of surfacing later as an obscure mediasoup or socket error.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  address,
  apiKeys,
  boolean,
  ConfigError,
  executable,
  iceUrls,
  integer,
  ip,
  isLoopback,
  oneOf,
  read,
  readableFile,
  secret,
  type Env,
} from './config-values';
import { planListenAddresses, readHostNetwork, NoUsableAddressError, type HostNetwork, type ListenAddress } from './media/listen-addresses';

export { ConfigError } from './config-values';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** auto: coloured lines on a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';
export type WorkerLogLevel = 'debug' | 'warn' | 'error' | 'none';

export interface Config {
  http: { host: string; port: number };
  logLevel: LogLevel;
  logFormat: LogFormat;
  media: {
    numWorkers: number;
    workerBin: string | undefined;
    workerLogLevel: WorkerLogLevel;
    /** IP the WebRtcServers and transports bind to. */
    listenIp: string;
    /** Address put in ICE candidates instead of listenIp (public IP or hostname behind NAT). */
    announcedAddress: string | undefined;
    /** What the WebRtcServers bind to and announce: listenIp resolved against this host's addresses. */
    listen: ListenAddress[];
    /** Worker i listens on rtcBasePort + i, for UDP and for TCP; 0: on free ports mediasoup picks in rtcMinPort..rtcMaxPort. */
    rtcBasePort: number;
    /** Port range for transports that do not go through the WebRtcServer (plain/pipe transports). */
    rtcMinPort: number;
    rtcMaxPort: number;
  };
  rooms: RoomLimits;
  ice: IceConfig;
  /** Serve HTTPS + WSS: PEM files, or a self-signed certificate made (and cached) for this host. */
  https: { cert: string; key: string } | 'self-signed' | undefined;
  turn: TurnServerConfig;
  auth: AuthConfig;
  limits: LimitsConfig;
}

/** Abuse limits (server/src/limits): defaults far above what a normal call needs. */
export interface LimitsConfig {
  /** Requests one WebSocket may send per second, sustained, and in a burst. */
  wsRatePerSecond: number;
  wsRateBurst: number;
  /** Refused requests within 10 s after which the socket is closed (1008). */
  wsRateCloseAfter: number;
  joinsPerIpPerMinute: number;
  /** Rooms open on this node; a join that would open one more gets `unavailable`. */
  maxRooms: number;
  maxWsConnections: number;
  maxWsConnectionsPerIp: number;
  /** HTTP requests per client address per minute (monitoring and /ws exempt). */
  httpRatePerMinute: number;
  /** Proxies (IPs or CIDRs) whose X-Forwarded-For names the client; empty: the socket's peer is the client. */
  trustProxy: string[];
}

/** Who may connect: holders of tokens signed with one of `keys`, or (open mode) anyone. */
export interface AuthConfig {
  /** API key → secret (AUTH_KEYS). Never logged. */
  keys: Map<string, string>;
  /** No keys: anyone reaching the server joins any room, with every permission. */
  open: boolean;
  /** The bearer token GET /metrics requires (METRICS_TOKEN); undefined: /metrics is open. Never logged. */
  metricsToken: string | undefined;
}

/** What browsers are told in `iceServers`: STUN URLs, and TURN URLs with time-limited credentials. */
export interface IceConfig {
  stunUrls: string[];
  turnUrls: string[];
  /** coturn's static-auth-secret (TURN REST API); required with turnUrls. Never logged. */
  turnSecret: string | undefined;
  credentialTtlSeconds: number;
}

/** The coturn that `npm run turn` starts (and the tests start): where it listens and what it relays. */
export interface TurnServerConfig {
  listenIp: string;
  port: number;
  tlsPort: number;
  tls: { cert: string; key: string } | undefined;
  minPort: number;
  maxPort: number;
  realm: string;
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

/** One documented setting: README's configuration table is written from this list. */
export interface SettingDoc {
  name: string;
  default: string;
  description: string;
}

/**
 * Every setting's default that is a plain value, written once: loadConfig falls back to these and SETTINGS
 * (hence README's table and .env.example) documents them.
 */
const DEFAULTS = {
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: 3000,
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'auto',
  MEDIASOUP_LOG_LEVEL: 'warn',
  RTC_LISTEN_IP: '127.0.0.1',
  RTC_BASE_PORT: 40000,
  RTC_MIN_PORT: 40100,
  RTC_MAX_PORT: 40999,
  MAX_PEERS_PER_ROOM: 50,
  MAX_PRODUCERS_PER_PEER: 8,
  MAX_MESSAGE_BYTES: 65_536,
  EMPTY_ROOM_GRACE_MS: 5000,
  MAX_INCOMING_BITRATE: 3_000_000,
  ALLOW_PLAIN_TRANSPORTS: false,
  TURN_CREDENTIAL_TTL: 86_400,
  TURN_PORT: 3478,
  TURN_TLS_PORT: 5349,
  TURN_MIN_PORT: 49_160,
  TURN_MAX_PORT: 49_999,
  TURN_REALM: 'confero',
  AUTH_OPEN: false,
  WS_RATE_PER_SECOND: 50,
  WS_RATE_BURST: 200,
  WS_RATE_CLOSE_AFTER: 100,
  JOINS_PER_IP_PER_MINUTE: 60,
  MAX_ROOMS: 1000,
  MAX_WS_CONNECTIONS: 5000,
  MAX_WS_CONNECTIONS_PER_IP: 200,
  HTTP_RATE_PER_MINUTE: 600,
} as const;

/** The documentation of a setting whose default is in DEFAULTS. */
function documented(name: keyof typeof DEFAULTS, description: string): SettingDoc {
  return { name, default: String(DEFAULTS[name]), description };
}

export const SETTINGS: SettingDoc[] = [
  documented('HTTP_HOST', 'address the HTTP/WebSocket server binds to (0.0.0.0 to serve others)'),
  documented('HTTP_PORT', 'port of the HTTP/WebSocket server'),
  documented('LOG_LEVEL', 'fatal, error, warn, info, debug, trace or silent'),
  documented('LOG_FORMAT', 'auto (coloured lines when stdout is a terminal, JSON otherwise), pretty or json'),
  { name: 'MEDIASOUP_NUM_WORKERS', default: 'number of cores', description: 'mediasoup worker processes (1–64)' },
  { name: 'MEDIASOUP_WORKER_BIN', default: '(setup picks one)', description: 'path of a mediasoup-worker binary to use' },
  documented('MEDIASOUP_LOG_LEVEL', 'worker log level: debug, warn, error or none'),
  documented('RTC_LISTEN_IP', 'IP that media (UDP/TCP) binds to'),
  {
    name: 'RTC_ANNOUNCED_ADDRESS',
    default: '(auto)',
    description:
      "IP or hostname announced in ICE candidates, e.g. the public IP behind NAT; unset with a wildcard RTC_LISTEN_IP → the host's primary address(es)",
  },
  documented('RTC_BASE_PORT', 'worker i takes UDP and TCP port RTC_BASE_PORT + i'),
  documented('RTC_MIN_PORT', 'lowest port for plain/pipe transports'),
  documented('RTC_MAX_PORT', 'highest port for plain/pipe transports'),
  documented('MAX_PEERS_PER_ROOM', 'peers in one room; the next join gets `room_full`'),
  documented('MAX_PRODUCERS_PER_PEER', 'audio/video producers one peer may have open'),
  documented('MAX_MESSAGE_BYTES', 'largest WebSocket message answered; larger → `message_too_large` (over 4× this or 1 MiB the socket is closed)'),
  documented('EMPTY_ROOM_GRACE_MS', 'how long an empty room stays open before it is closed'),
  documented('MAX_INCOMING_BITRATE', 'bits/s one peer may send per send transport'),
  documented(
    'ALLOW_PLAIN_TRANSPORTS',
    'allow plain RTP transports (no ICE/DTLS; SRTP with a key exchanged in signalling when the client asks, `srtp: true`) for bots and ingest',
  ),
  {
    name: 'HTTPS_CERT',
    default: '(none)',
    description: 'PEM certificate file: serve HTTPS and WSS (with HTTPS_KEY); `self-signed` makes and caches one for this host',
  },
  { name: 'HTTPS_KEY', default: '(none)', description: 'PEM private key file of HTTPS_CERT' },
  {
    name: 'CONFERO_CACHE_DIR',
    default: '~/.cache/confero',
    description:
      "where the self-signed certificate (HTTPS_CERT=self-signed) and `npm run turn`'s coturn files are kept, and set-up's mediasoup-worker build; unset → `$XDG_CACHE_HOME/confero` when XDG_CACHE_HOME is set",
  },
  { name: 'STUN_URLS', default: '(none)', description: 'comma-separated `stun:` URLs given to browsers' },
  {
    name: 'TURN_URLS',
    default: '(none)',
    description: 'comma-separated `turn:`/`turns:` URLs given to browsers with time-limited credentials, e.g. `turn:host:3478?transport=udp`',
  },
  {
    name: 'TURN_SECRET',
    default: '(none)',
    description: "coturn's `static-auth-secret` (at least 16 characters); required with TURN_URLS and by `npm run turn`",
  },
  documented('TURN_CREDENTIAL_TTL', 'seconds a TURN credential stays valid (60–604800); rejoins and ICE restarts get fresh ones'),
  { name: 'TURN_LISTEN_IP', default: '(RTC_LISTEN_IP)', description: '`npm run turn`: address coturn listens and relays on' },
  documented('TURN_PORT', '`npm run turn`: TURN port, UDP and TCP'),
  documented('TURN_TLS_PORT', '`npm run turn`: TURNS (TLS) port, used when TURN_TLS_CERT is set'),
  { name: 'TURN_TLS_CERT', default: '(HTTPS_CERT)', description: '`npm run turn`: PEM certificate for TURNS (with TURN_TLS_KEY)' },
  { name: 'TURN_TLS_KEY', default: '(HTTPS_KEY)', description: '`npm run turn`: PEM private key of TURN_TLS_CERT' },
  documented('TURN_MIN_PORT', '`npm run turn`: lowest relay port'),
  documented('TURN_MAX_PORT', '`npm run turn`: highest relay port'),
  documented('TURN_REALM', '`npm run turn`: TURN realm'),
  {
    name: 'AUTH_KEYS',
    default: '(none)',
    description:
      'API keys that sign access tokens: comma-separated `key:secret` pairs, secrets of at least 32 characters; set → every join and admin call needs a token',
  },
  {
    name: 'METRICS_TOKEN',
    default: '(none)',
    description:
      'bearer token `GET /metrics` requires (`Authorization: Bearer …`, at least 16 characters; the load test sends it from the same variable); unset → /metrics is open, with a warning when HTTP_HOST is not loopback',
  },
  documented(
    'AUTH_OPEN',
    'run without AUTH_KEYS on a non-loopback HTTP_HOST (anyone who reaches the server joins any room); on loopback open mode needs no flag',
  ),
  documented('WS_RATE_PER_SECOND', 'requests one WebSocket may send per second, sustained; over it → `rate_limited`'),
  documented('WS_RATE_BURST', 'requests one WebSocket may send in a burst above WS_RATE_PER_SECOND'),
  documented('WS_RATE_CLOSE_AFTER', 'refused requests within 10 s after which the WebSocket is closed (code 1008)'),
  documented('JOINS_PER_IP_PER_MINUTE', 'joins from one client address per minute; over it → `rate_limited` saying when to retry'),
  documented('MAX_ROOMS', 'rooms open on this server; a join that would open another → `unavailable` (existing rooms stay joinable)'),
  documented('MAX_WS_CONNECTIONS', 'WebSocket connections on this server; the next is closed at once with code 1013 (try again later)'),
  documented('MAX_WS_CONNECTIONS_PER_IP', 'WebSocket connections from one client address; the next is closed at once with code 1013'),
  documented('HTTP_RATE_PER_MINUTE', 'HTTP requests per client address per minute (/healthz, /readyz, /metrics and /ws exempt); over it → 429'),
  {
    name: 'TRUST_PROXY',
    default: '(none)',
    description: 'comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For names the client address; unset → the connecting address is the client',
  },
];

/**
 * The project's cache directory (CONFERO_CACHE_DIR). Read from the process's environment when a file is
 * about to be cached there, not by loadConfig: it is where this installation keeps its files rather than
 * how one server runs. Set-up (scripts/setup/worker.mjs, plain JavaScript run before node_modules exist)
 * works it out the same way for the worker build, with its own copy of these two lines.
 */
export function cacheDir(env: Env = process.env): string {
  // XDG_CACHE_HOME is the desktop standard's variable, not a setting of ours.
  return read(env, 'CONFERO_CACHE_DIR') ?? path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'confero');
}

/** HTTPS_CERT and HTTPS_KEY: both files, or `self-signed` alone. */
function httpsSettings(env: Env): Config['https'] {
  if (read(env, 'HTTPS_CERT') === 'self-signed') {
    if (read(env, 'HTTPS_KEY')) throw new ConfigError('HTTPS_KEY', read(env, 'HTTPS_KEY')!, 'nothing when HTTPS_CERT=self-signed');
    return 'self-signed';
  }
  return pemPair(env, 'HTTPS_CERT', 'HTTPS_KEY');
}

function pemPair(env: Env, certName: string, keyName: string): { cert: string; key: string } | undefined {
  const cert = readableFile(env, certName);
  const key = readableFile(env, keyName);
  if (cert && !key) throw new ConfigError(keyName, '', `a key file, since ${certName} is set`);
  if (key && !cert) throw new ConfigError(certName, '', `a certificate file, since ${keyName} is set`);
  return cert && key ? { cert, key } : undefined;
}

function iceSettings(env: Env): IceConfig {
  const turnUrls = iceUrls(env, 'TURN_URLS', ['turn', 'turns']);
  const turnSecret = secret(env, 'TURN_SECRET', 16);
  if (turnUrls.length > 0 && !turnSecret) throw new ConfigError('TURN_SECRET', '', "coturn's static-auth-secret, since TURN_URLS is set");
  return {
    stunUrls: iceUrls(env, 'STUN_URLS', ['stun', 'stuns']),
    turnUrls,
    turnSecret,
    credentialTtlSeconds: integer(env, 'TURN_CREDENTIAL_TTL', DEFAULTS.TURN_CREDENTIAL_TTL, 60, 604_800),
  };
}

function turnServerSettings(env: Env, rtcListenIp: string, rtcPorts: [number, number], https: Config['https']): TurnServerConfig {
  const minPort = integer(env, 'TURN_MIN_PORT', DEFAULTS.TURN_MIN_PORT, 1024, 65535);
  const maxPort = integer(env, 'TURN_MAX_PORT', DEFAULTS.TURN_MAX_PORT, 1024, 65535);
  if (maxPort < minPort) throw new ConfigError('TURN_MAX_PORT', String(maxPort), `a port not lower than TURN_MIN_PORT (${minPort})`);
  if (minPort <= rtcPorts[1] && maxPort >= rtcPorts[0]) {
    throw new ConfigError('TURN_MIN_PORT', String(minPort), `a relay range outside the media ports ${rtcPorts[0]}–${rtcPorts[1]}`);
  }
  const realm = read(env, 'TURN_REALM') ?? DEFAULTS.TURN_REALM;
  if (!/^[A-Za-z0-9.-]{1,63}$/.test(realm)) throw new ConfigError('TURN_REALM', realm, 'letters, digits, dots and dashes');
  const tls = read(env, 'TURN_TLS_CERT') || read(env, 'TURN_TLS_KEY') ? pemPair(env, 'TURN_TLS_CERT', 'TURN_TLS_KEY') : undefined;
  return {
    listenIp: ip(env, 'TURN_LISTEN_IP', rtcListenIp),
    port: integer(env, 'TURN_PORT', DEFAULTS.TURN_PORT, 1, 65535),
    tlsPort: integer(env, 'TURN_TLS_PORT', DEFAULTS.TURN_TLS_PORT, 1, 65535),
    tls: tls ?? (typeof https === 'object' ? https : undefined),
    minPort,
    maxPort,
    realm,
  };
}

/** Secure default: a server others can reach needs keys, unless the operator says open on purpose. */
function authSettings(env: Env, httpHost: string): AuthConfig {
  const keys = apiKeys(env, 'AUTH_KEYS', 32);
  const openFlag = boolean(env, 'AUTH_OPEN', DEFAULTS.AUTH_OPEN);
  if (keys.size > 0 && openFlag) throw new ConfigError('AUTH_OPEN', 'true', 'false or unset when AUTH_KEYS is set');
  if (keys.size === 0 && !openFlag && !isLoopback(httpHost)) {
    throw new ConfigError(
      'AUTH_KEYS',
      '',
      `key:secret pairs, since HTTP_HOST=${httpHost} lets other machines connect (or AUTH_OPEN=true to let anyone join any room)`,
    );
  }
  return { keys, open: keys.size === 0, metricsToken: secret(env, 'METRICS_TOKEN', 16) };
}

/** TRUST_PROXY: proxy addresses or CIDR blocks (what Fastify's trustProxy takes), validated here. */
function proxyList(env: Env, name: string): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [addr = '', bits, ...rest] = entry.split('/');
    const family = net.isIP(addr);
    const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (family === 0 || !prefixOk || rest.length > 0)
      throw new ConfigError(name, raw, 'comma-separated IP addresses or CIDR blocks, e.g. 127.0.0.1,10.0.0.0/8');
  }
  return entries;
}

function limitSettings(env: Env): LimitsConfig {
  return {
    wsRatePerSecond: integer(env, 'WS_RATE_PER_SECOND', DEFAULTS.WS_RATE_PER_SECOND, 1, 100_000),
    wsRateBurst: integer(env, 'WS_RATE_BURST', DEFAULTS.WS_RATE_BURST, 1, 1_000_000),
    wsRateCloseAfter: integer(env, 'WS_RATE_CLOSE_AFTER', DEFAULTS.WS_RATE_CLOSE_AFTER, 1, 1_000_000),
    joinsPerIpPerMinute: integer(env, 'JOINS_PER_IP_PER_MINUTE', DEFAULTS.JOINS_PER_IP_PER_MINUTE, 1, 1_000_000),
    maxRooms: integer(env, 'MAX_ROOMS', DEFAULTS.MAX_ROOMS, 1, 1_000_000),
    maxWsConnections: integer(env, 'MAX_WS_CONNECTIONS', DEFAULTS.MAX_WS_CONNECTIONS, 1, 1_000_000),
    maxWsConnectionsPerIp: integer(env, 'MAX_WS_CONNECTIONS_PER_IP', DEFAULTS.MAX_WS_CONNECTIONS_PER_IP, 1, 1_000_000),
    httpRatePerMinute: integer(env, 'HTTP_RATE_PER_MINUTE', DEFAULTS.HTTP_RATE_PER_MINUTE, 1, 1_000_000),
    trustProxy: proxyList(env, 'TRUST_PROXY'),
  };
}

function listenPlan(listenIp: string, announced: string | undefined, network: () => HostNetwork): ListenAddress[] {
  try {
    return planListenAddresses(listenIp, announced, network());
  } catch (error) {
    if (!(error instanceof NoUsableAddressError)) throw error;
    throw new ConfigError('RTC_LISTEN_IP', listenIp, `a specific address, or RTC_ANNOUNCED_ADDRESS set: ${error.message}`);
  }
}

/** `network` is read only for a wildcard RTC_LISTEN_IP without an announced address (tests pass their own). */
export function loadConfig(env: Env = process.env, network: () => HostNetwork = readHostNetwork): Config {
  const cores = Math.max(1, os.availableParallelism());
  const numWorkers = integer(env, 'MEDIASOUP_NUM_WORKERS', Math.min(cores, 64), 1, 64);
  // 0 lets mediasoup choose: each worker's WebRtcServer binds a free port of RTC_MIN_PORT..RTC_MAX_PORT
  // (its UDP and TCP ports may then differ), so that servers sharing a host (test runs) never collide.
  const rtcBasePort = env.RTC_BASE_PORT?.trim() === '0' ? 0 : integer(env, 'RTC_BASE_PORT', DEFAULTS.RTC_BASE_PORT, 1024, 65535 - numWorkers);
  const rtcMinPort = integer(env, 'RTC_MIN_PORT', DEFAULTS.RTC_MIN_PORT, 1024, 65535);
  const rtcMaxPort = integer(env, 'RTC_MAX_PORT', DEFAULTS.RTC_MAX_PORT, 1024, 65535);
  if (rtcMaxPort < rtcMinPort) {
    throw new ConfigError('RTC_MAX_PORT', String(rtcMaxPort), `a port not lower than RTC_MIN_PORT (${rtcMinPort})`);
  }
  if (rtcBasePort !== 0 && rtcBasePort + numWorkers - 1 >= rtcMinPort && rtcBasePort <= rtcMaxPort) {
    throw new ConfigError(
      'RTC_BASE_PORT',
      String(rtcBasePort),
      `a port whose range ${rtcBasePort}–${rtcBasePort + numWorkers - 1} stays outside RTC_MIN_PORT..RTC_MAX_PORT (${rtcMinPort}–${rtcMaxPort})`,
    );
  }
  const workerBin = executable(env, 'MEDIASOUP_WORKER_BIN');
  const listenIp = ip(env, 'RTC_LISTEN_IP', DEFAULTS.RTC_LISTEN_IP);
  const announcedAddress = address(env, 'RTC_ANNOUNCED_ADDRESS');
  const https = httpsSettings(env);
  const rtcPorts: [number, number] =
    rtcBasePort === 0 ? [rtcMinPort, rtcMaxPort] : [Math.min(rtcBasePort, rtcMinPort), Math.max(rtcBasePort + numWorkers - 1, rtcMaxPort)];

  const httpHost = ip(env, 'HTTP_HOST', DEFAULTS.HTTP_HOST);

  return {
    http: {
      host: httpHost,
      port: integer(env, 'HTTP_PORT', DEFAULTS.HTTP_PORT, 0, 65535),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', DEFAULTS.LOG_LEVEL, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    logFormat: oneOf(env, 'LOG_FORMAT', DEFAULTS.LOG_FORMAT, ['auto', 'pretty', 'json'] as const),
    media: {
      numWorkers,
      workerBin,
      workerLogLevel: oneOf(env, 'MEDIASOUP_LOG_LEVEL', DEFAULTS.MEDIASOUP_LOG_LEVEL, ['debug', 'warn', 'error', 'none'] as const),
      listenIp,
      announcedAddress,
      listen: listenPlan(listenIp, announcedAddress, network),
      rtcBasePort,
      rtcMinPort,
      rtcMaxPort,
    },
    rooms: {
      maxPeersPerRoom: integer(env, 'MAX_PEERS_PER_ROOM', DEFAULTS.MAX_PEERS_PER_ROOM, 1, 10_000),
      maxProducersPerPeer: integer(env, 'MAX_PRODUCERS_PER_PEER', DEFAULTS.MAX_PRODUCERS_PER_PEER, 1, 64),
      maxMessageBytes: integer(env, 'MAX_MESSAGE_BYTES', DEFAULTS.MAX_MESSAGE_BYTES, 1024, 1_048_576),
      emptyRoomGraceMs: integer(env, 'EMPTY_ROOM_GRACE_MS', DEFAULTS.EMPTY_ROOM_GRACE_MS, 0, 3_600_000),
      maxIncomingBitrate: integer(env, 'MAX_INCOMING_BITRATE', DEFAULTS.MAX_INCOMING_BITRATE, 100_000, 100_000_000),
      allowPlainTransports: boolean(env, 'ALLOW_PLAIN_TRANSPORTS', DEFAULTS.ALLOW_PLAIN_TRANSPORTS),
    },
    ice: iceSettings(env),
    https,
    turn: turnServerSettings(env, listenIp, rtcPorts, https),
    auth: authSettings(env, httpHost),
    limits: limitSettings(env),
  };
}
