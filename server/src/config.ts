/**
 * Every setting of the server comes from an environment variable with a default that serves a room on
 * this one machine. `loadConfig` validates all of them up front so that a typo fails at start with one
 * line naming the variable, instead of surfacing later as an obscure mediasoup or socket error.
 */
import net from 'node:net';
import os from 'node:os';
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

export const SETTINGS: SettingDoc[] = [
  { name: 'HTTP_HOST', default: '127.0.0.1', description: 'address the HTTP/WebSocket server binds to (0.0.0.0 to serve others)' },
  { name: 'HTTP_PORT', default: '3000', description: 'port of the HTTP/WebSocket server' },
  { name: 'LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  { name: 'LOG_FORMAT', default: 'auto', description: 'auto (coloured lines when stdout is a terminal, JSON otherwise), pretty or json' },
  { name: 'MEDIASOUP_NUM_WORKERS', default: 'number of cores', description: 'mediasoup worker processes (1–64)' },
  { name: 'MEDIASOUP_WORKER_BIN', default: '(setup picks one)', description: 'path of a mediasoup-worker binary to use' },
  { name: 'MEDIASOUP_LOG_LEVEL', default: 'warn', description: 'worker log level: debug, warn, error or none' },
  { name: 'RTC_LISTEN_IP', default: '127.0.0.1', description: 'IP that media (UDP/TCP) binds to' },
  { name: 'RTC_ANNOUNCED_ADDRESS', default: '(auto)', description: 'IP or hostname announced in ICE candidates, e.g. the public IP behind NAT; unset with a wildcard RTC_LISTEN_IP → the host\'s primary address(es)' },
  { name: 'RTC_BASE_PORT', default: '40000', description: 'worker i takes UDP and TCP port RTC_BASE_PORT + i' },
  { name: 'RTC_MIN_PORT', default: '40100', description: 'lowest port for plain/pipe transports' },
  { name: 'RTC_MAX_PORT', default: '40999', description: 'highest port for plain/pipe transports' },
  { name: 'MAX_PEERS_PER_ROOM', default: '50', description: 'peers in one room; the next join gets `room_full`' },
  { name: 'MAX_PRODUCERS_PER_PEER', default: '8', description: 'audio/video producers one peer may have open' },
  { name: 'MAX_MESSAGE_BYTES', default: '65536', description: 'largest WebSocket message answered; larger → `message_too_large` (over 4× this or 1 MiB the socket is closed)' },
  { name: 'EMPTY_ROOM_GRACE_MS', default: '5000', description: 'how long an empty room stays open before it is closed' },
  { name: 'MAX_INCOMING_BITRATE', default: '3000000', description: 'bits/s one peer may send per send transport' },
  { name: 'ALLOW_PLAIN_TRANSPORTS', default: 'false', description: 'allow plain RTP transports (no ICE/DTLS; SRTP with a key exchanged in signalling when the client asks, `srtp: true`) for bots and ingest' },
  { name: 'HTTPS_CERT', default: '(none)', description: 'PEM certificate file: serve HTTPS and WSS (with HTTPS_KEY); `self-signed` makes and caches one for this host' },
  { name: 'HTTPS_KEY', default: '(none)', description: 'PEM private key file of HTTPS_CERT' },
  { name: 'STUN_URLS', default: '(none)', description: 'comma-separated `stun:` URLs given to browsers' },
  { name: 'TURN_URLS', default: '(none)', description: 'comma-separated `turn:`/`turns:` URLs given to browsers with time-limited credentials, e.g. `turn:host:3478?transport=udp`' },
  { name: 'TURN_SECRET', default: '(none)', description: 'coturn\'s `static-auth-secret` (at least 16 characters); required with TURN_URLS and by `npm run turn`' },
  { name: 'TURN_CREDENTIAL_TTL', default: '86400', description: 'seconds a TURN credential stays valid (60–604800); rejoins and ICE restarts get fresh ones' },
  { name: 'TURN_LISTEN_IP', default: '(RTC_LISTEN_IP)', description: '`npm run turn`: address coturn listens and relays on' },
  { name: 'TURN_PORT', default: '3478', description: '`npm run turn`: TURN port, UDP and TCP' },
  { name: 'TURN_TLS_PORT', default: '5349', description: '`npm run turn`: TURNS (TLS) port, used when TURN_TLS_CERT is set' },
  { name: 'TURN_TLS_CERT', default: '(HTTPS_CERT)', description: '`npm run turn`: PEM certificate for TURNS (with TURN_TLS_KEY)' },
  { name: 'TURN_TLS_KEY', default: '(HTTPS_KEY)', description: '`npm run turn`: PEM private key of TURN_TLS_CERT' },
  { name: 'TURN_MIN_PORT', default: '49160', description: '`npm run turn`: lowest relay port' },
  { name: 'TURN_MAX_PORT', default: '49999', description: '`npm run turn`: highest relay port' },
  { name: 'TURN_REALM', default: 'confero', description: '`npm run turn`: TURN realm' },
  { name: 'AUTH_KEYS', default: '(none)', description: 'API keys that sign access tokens: comma-separated `key:secret` pairs, secrets of at least 32 characters; set → every join and admin call needs a token' },
  { name: 'METRICS_TOKEN', default: '(none)', description: 'bearer token `GET /metrics` requires (`Authorization: Bearer …`, at least 16 characters; the load test sends it from the same variable); unset → /metrics is open, with a warning when HTTP_HOST is not loopback' },
  { name: 'AUTH_OPEN', default: 'false', description: 'run without AUTH_KEYS on a non-loopback HTTP_HOST (anyone who reaches the server joins any room); on loopback open mode needs no flag' },
  { name: 'WS_RATE_PER_SECOND', default: '50', description: 'requests one WebSocket may send per second, sustained; over it → `rate_limited`' },
  { name: 'WS_RATE_BURST', default: '200', description: 'requests one WebSocket may send in a burst above WS_RATE_PER_SECOND' },
  { name: 'WS_RATE_CLOSE_AFTER', default: '100', description: 'refused requests within 10 s after which the WebSocket is closed (code 1008)' },
  { name: 'JOINS_PER_IP_PER_MINUTE', default: '60', description: 'joins from one client address per minute; over it → `rate_limited` saying when to retry' },
  { name: 'MAX_ROOMS', default: '1000', description: 'rooms open on this server; a join that would open another → `unavailable` (existing rooms stay joinable)' },
  { name: 'MAX_WS_CONNECTIONS', default: '5000', description: 'WebSocket connections on this server; the next is closed at once with code 1013 (try again later)' },
  { name: 'MAX_WS_CONNECTIONS_PER_IP', default: '200', description: 'WebSocket connections from one client address; the next is closed at once with code 1013' },
  { name: 'HTTP_RATE_PER_MINUTE', default: '600', description: 'HTTP requests per client address per minute (/healthz, /readyz, /metrics and /ws exempt); over it → 429' },
  { name: 'TRUST_PROXY', default: '(none)', description: 'comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For names the client address; unset → the connecting address is the client' },
];

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
  if (turnUrls.length > 0 && !turnSecret) throw new ConfigError('TURN_SECRET', '', 'coturn\'s static-auth-secret, since TURN_URLS is set');
  return {
    stunUrls: iceUrls(env, 'STUN_URLS', ['stun', 'stuns']),
    turnUrls,
    turnSecret,
    credentialTtlSeconds: integer(env, 'TURN_CREDENTIAL_TTL', 86_400, 60, 604_800),
  };
}

function turnServerSettings(env: Env, rtcListenIp: string, rtcPorts: [number, number], https: Config['https']): TurnServerConfig {
  const minPort = integer(env, 'TURN_MIN_PORT', 49_160, 1024, 65535);
  const maxPort = integer(env, 'TURN_MAX_PORT', 49_999, 1024, 65535);
  if (maxPort < minPort) throw new ConfigError('TURN_MAX_PORT', String(maxPort), `a port not lower than TURN_MIN_PORT (${minPort})`);
  if (minPort <= rtcPorts[1] && maxPort >= rtcPorts[0]) {
    throw new ConfigError('TURN_MIN_PORT', String(minPort), `a relay range outside the media ports ${rtcPorts[0]}–${rtcPorts[1]}`);
  }
  const realm = read(env, 'TURN_REALM') ?? 'confero';
  if (!/^[A-Za-z0-9.-]{1,63}$/.test(realm)) throw new ConfigError('TURN_REALM', realm, 'letters, digits, dots and dashes');
  const tls = read(env, 'TURN_TLS_CERT') || read(env, 'TURN_TLS_KEY') ? pemPair(env, 'TURN_TLS_CERT', 'TURN_TLS_KEY') : undefined;
  return {
    listenIp: ip(env, 'TURN_LISTEN_IP', rtcListenIp),
    port: integer(env, 'TURN_PORT', 3478, 1, 65535),
    tlsPort: integer(env, 'TURN_TLS_PORT', 5349, 1, 65535),
    tls: tls ?? (typeof https === 'object' ? https : undefined),
    minPort,
    maxPort,
    realm,
  };
}

/** Secure default: a server others can reach needs keys, unless the operator says open on purpose. */
function authSettings(env: Env, httpHost: string): AuthConfig {
  const keys = apiKeys(env, 'AUTH_KEYS', 32);
  const openFlag = boolean(env, 'AUTH_OPEN', false);
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
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const [addr = '', bits, ...rest] = entry.split('/');
    const family = net.isIP(addr);
    const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (family === 0 || !prefixOk || rest.length > 0) throw new ConfigError(name, raw, 'comma-separated IP addresses or CIDR blocks, e.g. 127.0.0.1,10.0.0.0/8');
  }
  return entries;
}

function limitSettings(env: Env): LimitsConfig {
  return {
    wsRatePerSecond: integer(env, 'WS_RATE_PER_SECOND', 50, 1, 100_000),
    wsRateBurst: integer(env, 'WS_RATE_BURST', 200, 1, 1_000_000),
    wsRateCloseAfter: integer(env, 'WS_RATE_CLOSE_AFTER', 100, 1, 1_000_000),
    joinsPerIpPerMinute: integer(env, 'JOINS_PER_IP_PER_MINUTE', 60, 1, 1_000_000),
    maxRooms: integer(env, 'MAX_ROOMS', 1000, 1, 1_000_000),
    maxWsConnections: integer(env, 'MAX_WS_CONNECTIONS', 5000, 1, 1_000_000),
    maxWsConnectionsPerIp: integer(env, 'MAX_WS_CONNECTIONS_PER_IP', 200, 1, 1_000_000),
    httpRatePerMinute: integer(env, 'HTTP_RATE_PER_MINUTE', 600, 1, 1_000_000),
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
  const rtcBasePort = env.RTC_BASE_PORT?.trim() === '0' ? 0 : integer(env, 'RTC_BASE_PORT', 40000, 1024, 65535 - numWorkers);
  const rtcMinPort = integer(env, 'RTC_MIN_PORT', 40100, 1024, 65535);
  const rtcMaxPort = integer(env, 'RTC_MAX_PORT', 40999, 1024, 65535);
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
  const listenIp = ip(env, 'RTC_LISTEN_IP', '127.0.0.1');
  const announcedAddress = address(env, 'RTC_ANNOUNCED_ADDRESS');
  const https = httpsSettings(env);
  const rtcPorts: [number, number] =
    rtcBasePort === 0 ? [rtcMinPort, rtcMaxPort] : [Math.min(rtcBasePort, rtcMinPort), Math.max(rtcBasePort + numWorkers - 1, rtcMaxPort)];

  const httpHost = ip(env, 'HTTP_HOST', '127.0.0.1');

  return {
    http: {
      host: httpHost,
      port: integer(env, 'HTTP_PORT', 3000, 0, 65535),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    logFormat: oneOf(env, 'LOG_FORMAT', 'auto', ['auto', 'pretty', 'json'] as const),
    media: {
      numWorkers,
      workerBin,
      workerLogLevel: oneOf(env, 'MEDIASOUP_LOG_LEVEL', 'warn', ['debug', 'warn', 'error', 'none'] as const),
      listenIp,
      announcedAddress,
      listen: listenPlan(listenIp, announcedAddress, network),
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
    ice: iceSettings(env),
    https,
    turn: turnServerSettings(env, listenIp, rtcPorts, https),
    auth: authSettings(env, httpHost),
    limits: limitSettings(env),
  };
}
