/**
 * Command-line options of `npm run loadtest`. Parsing is strict on purpose: a load test that silently
 * ignored a misspelt flag would measure something else than asked, so every problem is an OptionsError
 * with one line that names the flag and the expected form (the CLI prints it and exits 2).
 */
import { FlagError, readFlags } from './cli-flags';

export type BotKind = 'sim' | 'browser';

export interface Thresholds {
  /** Fail when the aggregate receive loss exceeds this percentage. */
  maxLossPct?: number;
  /** Fail when fewer than this percentage of attempted joins succeeded. */
  minJoinedPct?: number;
  /** Fail when the join time's p95 exceeds this many milliseconds. */
  maxJoinP95Ms?: number;
  /** Fail when the server's mean CPU (Node + workers, % of one core) during the hold exceeds this. */
  maxServerCpuPct?: number;
}

export interface LoadTestOptions {
  /** Signalling endpoint (ws:// or wss://…/ws), derived from --url. */
  wsUrl: string;
  /** The server's /metrics (http:// or https://), derived from the same base. */
  metricsUrl: string;
  rooms: number;
  peersPerRoom: number;
  publishersPerRoom: number;
  bots: BotKind;
  botsPerBrowser: number;
  /** What publishing sim bots send: synthetic filler, or recorded VP8/Opus a browser can show. */
  simMedia: 'synthetic' | 'recorded';
  video: boolean;
  audio: boolean;
  simulcast: boolean;
  /** Joins started per second. */
  ramp: number;
  /** Seconds of hold once every bot has joined (or failed). */
  durationS: number;
  /** Seconds one bot may take to join before it counts as failed. */
  joinTimeoutS: number;
  out?: string;
  html?: string;
  thresholds: Thresholds;
}

/** Signs each bot's access token (servers with AUTH_KEYS). Kept out of LoadTestOptions: the report must not carry the secret. */
export interface BotCredentials {
  apiKey: string;
  apiSecret: string;
}

export type ParseResult = { help: true } | { help: false; options: LoadTestOptions; credentials?: BotCredentials };

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

export const DEFAULT_URL = 'ws://127.0.0.1:3000/ws';

export const USAGE = `Usage: npm run loadtest -- [options]

Starts bots at --ramp joins per second across --rooms rooms, holds for --duration seconds once all
have joined, then closes everything and prints a summary (and writes --out / --html when given).

Target
  --url URL                   server base or /ws endpoint: ws(s)://… or http(s)://… (default ${DEFAULT_URL})

Bots
  --rooms N                   rooms (default 1)
  --peers-per-room N          bots per room (default 4)
  --publishers-per-room N     bots per room that publish; the rest only subscribe (default 2)
  --bots sim|browser          Node bots or Chromium pages (default sim)
  --bots-per-browser N        browser mode: pages per Chromium process (default 4)
  --sim-media synthetic|recorded
                              sim mode: what publishers send — synthetic filler (no encoder, the lightest)
                              or recorded VP8/Opus (encoded once with Chromium, cached) that people
                              joining the room from a browser see and hear (default synthetic)
  --video on|off              publishers send video (default on)
  --audio on|off              publishers send audio (default on)
  --simulcast on|off          video in three simulcast layers (default on)

Timing
  --ramp N                    joins started per second (default 5)
  --duration S                seconds of hold after the ramp (default 30)
  --join-timeout S            seconds a bot may take to join before it counts as failed (default 30)

Access (servers with AUTH_KEYS)
  --api-key KEY               mint each bot its own access token with this API key (identity bot-<name>)
  --api-secret SECRET         its secret; omitted → taken from AUTH_KEYS in the environment

Output
  --out FILE                  write the JSON report (schema: loadtest/README.md)
  --html FILE                 write a self-contained HTML report with charts

Thresholds (any that fails makes the exit code 1)
  --max-loss PCT              aggregate receive packet loss, e.g. 1
  --min-joined PCT            share of attempted joins that succeeded, e.g. 100 or 100%
  --max-join-p95 MS           p95 of WebSocket open → first remote media
  --max-server-cpu PCT        server mean CPU during the hold (Node + workers, % of one core)

  --help                      this text

Values go as "--flag value" or "--flag=value". Exit codes: 0 passed, 1 a threshold failed,
2 bad options, 130/143 interrupted (SIGINT/SIGTERM; a second Ctrl-C forces exit).`;

type Setter = (value: string, flag: string, target: Draft) => void;
type Draft = Omit<LoadTestOptions, 'wsUrl' | 'metricsUrl'> & { url: string; apiKey?: string; apiSecret?: string };

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string, flag: string): number => {
    if (!/^\d+$/.test(value)) throw new OptionsError(`${flag} expects a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new OptionsError(`${flag} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function decimal(min: number, max: number, { exclusiveMin = false, suffix = '' } = {}) {
  return (raw: string, flag: string): number => {
    const value = suffix && raw.endsWith(suffix) ? raw.slice(0, -suffix.length) : raw;
    if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value)) throw new OptionsError(`${flag} expects a number, got '${raw}'`);
    const n = Number(value);
    if (n > max || n < min || (exclusiveMin && n === min)) {
      throw new OptionsError(`${flag} must be ${exclusiveMin ? 'above' : 'at least'} ${min} and at most ${max}, got ${n}`);
    }
    return n;
  };
}

function onOff(value: string, flag: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new OptionsError(`${flag} expects on or off, got '${value}'`);
}

const count = integer(1, 10_000);

const SETTERS: Record<string, Setter> = {
  '--url': (v, _f, d) => void (d.url = v),
  '--api-key': (v, f, d) => void (d.apiKey = nonEmpty(v, f)),
  '--api-secret': (v, f, d) => void (d.apiSecret = nonEmpty(v, f)),
  '--rooms': (v, f, d) => void (d.rooms = count(v, f)),
  '--peers-per-room': (v, f, d) => void (d.peersPerRoom = count(v, f)),
  '--publishers-per-room': (v, f, d) => void (d.publishersPerRoom = integer(0, 10_000)(v, f)),
  '--bots': (v, f, d) => {
    if (v !== 'sim' && v !== 'browser') throw new OptionsError(`${f} expects sim or browser, got '${v}'`);
    d.bots = v;
  },
  '--bots-per-browser': (v, f, d) => void (d.botsPerBrowser = integer(1, 100)(v, f)),
  '--sim-media': (v, f, d) => {
    if (v !== 'synthetic' && v !== 'recorded') throw new OptionsError(`${f} expects synthetic or recorded, got '${v}'`);
    d.simMedia = v;
  },
  '--video': (v, f, d) => void (d.video = onOff(v, f)),
  '--audio': (v, f, d) => void (d.audio = onOff(v, f)),
  '--simulcast': (v, f, d) => void (d.simulcast = onOff(v, f)),
  '--ramp': (v, f, d) => void (d.ramp = decimal(0, 1000, { exclusiveMin: true })(v, f)),
  '--duration': (v, f, d) => void (d.durationS = decimal(0, 86_400)(v, f)),
  '--join-timeout': (v, f, d) => void (d.joinTimeoutS = decimal(0, 3600, { exclusiveMin: true })(v, f)),
  '--out': (v, f, d) => void (d.out = path(v, f)),
  '--html': (v, f, d) => void (d.html = path(v, f)),
  '--max-loss': (v, f, d) => void (d.thresholds.maxLossPct = decimal(0, 100, { suffix: '%' })(v, f)),
  '--min-joined': (v, f, d) => void (d.thresholds.minJoinedPct = decimal(0, 100, { suffix: '%' })(v, f)),
  '--max-join-p95': (v, f, d) => void (d.thresholds.maxJoinP95Ms = decimal(0, 3_600_000, { exclusiveMin: true })(v, f)),
  '--max-server-cpu': (v, f, d) => void (d.thresholds.maxServerCpuPct = decimal(0, 100_000, { exclusiveMin: true })(v, f)),
};

function withOptionsErrors<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof FlagError) throw new OptionsError(error.message);
    throw error;
  }
}

function nonEmpty(value: string, flag: string): string {
  if (value.trim() === '') throw new OptionsError(`${flag} expects a value`);
  return value.trim();
}

/** --api-key with --api-secret, or with the secret of that key in AUTH_KEYS (`key:secret,…`). */
function credentials(apiKey: string | undefined, apiSecret: string | undefined, env: NodeJS.ProcessEnv): BotCredentials | undefined {
  if (apiKey === undefined) {
    if (apiSecret !== undefined) throw new OptionsError('--api-secret needs --api-key (the key the server knows the secret by)');
    return undefined;
  }
  if (apiSecret !== undefined) return { apiKey, apiSecret };
  const pair = (env.AUTH_KEYS ?? '')
    .split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith(`${apiKey}:`));
  if (pair === undefined) throw new OptionsError(`--api-key ${apiKey} needs --api-secret, or AUTH_KEYS in the environment with that key`);
  return { apiKey, apiSecret: pair.slice(apiKey.length + 1) };
}

function path(value: string, flag: string): string {
  if (value.trim() === '') throw new OptionsError(`${flag} expects a file name`);
  return value;
}

/**
 * The signalling and metrics URLs from one --url: a server base (`http://host:3000`, `ws://host:3000`)
 * or the signalling endpoint itself (`ws://host:3000/ws`). A path prefix is kept (`https://h/sfu` →
 * `wss://h/sfu/ws` and `https://h/sfu/metrics`), for servers behind a reverse proxy.
 */
export function deriveUrls(raw: string): { wsUrl: string; metricsUrl: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionsError(`--url expects ws://, wss://, http:// or https:// followed by a host, got '${raw}'`);
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
    throw new OptionsError(`--url expects ws://, wss://, http:// or https://, got '${raw}'`);
  }
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  if (url.search || url.hash) throw new OptionsError(`--url takes no query or fragment, got '${raw}'`);
  const base = url.pathname.replace(/\/+$/, '').replace(/\/ws$/, '');
  const hostPart = `${url.host}${base}`;
  return { wsUrl: `${secure ? 'wss' : 'ws'}://${hostPart}/ws`, metricsUrl: `${secure ? 'https' : 'http'}://${hostPart}/metrics` };
}

/** Flags whose --no-… spelling people try; the error names the on|off form instead. */
const NEGATABLE = ['video', 'audio', 'simulcast'];
const FLAG_SPEC = Object.fromEntries(Object.keys(SETTERS).map((flag) => [flag.slice(2), 'string' as const]));

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParseResult {
  const draft: Draft = {
    url: DEFAULT_URL,
    rooms: 1,
    peersPerRoom: 4,
    publishersPerRoom: 2,
    bots: 'sim',
    botsPerBrowser: 4,
    simMedia: 'synthetic',
    video: true,
    audio: true,
    simulcast: true,
    ramp: 5,
    durationS: 30,
    joinTimeoutS: 30,
    thresholds: {},
  };
  const flags = withOptionsErrors(() => readFlags(argv, FLAG_SPEC, { negatable: NEGATABLE }));
  if (flags === 'help') return { help: true };
  for (const [name, value] of flags) SETTERS[`--${name}`]!(value as string, `--${name}`, draft);
  if (draft.simMedia === 'recorded' && draft.bots !== 'sim') {
    throw new OptionsError('--sim-media is what sim bots send: it goes with --bots sim (browser bots send their fake camera)');
  }
  if (draft.publishersPerRoom > draft.peersPerRoom) {
    throw new OptionsError(`--publishers-per-room (${draft.publishersPerRoom}) cannot exceed --peers-per-room (${draft.peersPerRoom})`);
  }
  if (draft.publishersPerRoom > 0 && !draft.audio && !draft.video) {
    throw new OptionsError('publishers need something to send: --audio off and --video off leave them nothing (use --publishers-per-room 0)');
  }
  if (draft.rooms * draft.peersPerRoom > 10_000) {
    throw new OptionsError(`--rooms × --peers-per-room is ${draft.rooms * draft.peersPerRoom} bots; at most 10000 per run`);
  }
  const { url, apiKey, apiSecret, ...rest } = draft;
  const botCredentials = credentials(apiKey, apiSecret, env);
  return { help: false, options: { ...rest, ...deriveUrls(url) }, ...(botCredentials ? { credentials: botCredentials } : {}) };
}
