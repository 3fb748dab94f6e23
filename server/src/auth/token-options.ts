/**
 * `npm run token` arguments → what to mint. Strict like the other CLIs: every problem is one line naming
 * the flag and the expected form (TokenOptionsError; the CLI prints it and exits 2).
 */
import { parseArgs } from 'node:util';
import { apiKeys, ConfigError, type Env } from '../config-values';
import { LIVEKIT_SOURCES, type VideoGrant } from './grants';
import type { MintOptions } from './mint';

export class TokenOptionsError extends Error {
  override readonly name = 'TokenOptionsError';
}

export const TOKEN_USAGE = `Usage: npm run token -- --room ROOM --identity ID [options]

Mints an access token for a server with AUTH_KEYS (from the environment: the server's own) and prints it,
then a join link for the page.

  --room ROOM        the room it admits to
  --identity ID      who it is for (unique in a room: a second join with it replaces the first)
  --name NAME        display name shown to others (default: what the user types)
  --grants LIST      comma-separated, of publish, subscribe, data, admin, list, hidden
                     (default publish,subscribe,data)
  --sources LIST     limit publishing to these of camera, microphone, screen_share, screen_share_audio
  --ttl TIME         lifetime: seconds, or with s/m/h/d (default 6h)
  --url URL          the server's page, for the join link (default http://localhost:3000)
  --key KEY          which API key of AUTH_KEYS signs it (default the first)`;

const GRANTS: Record<string, keyof VideoGrant> = {
  publish: 'canPublish',
  subscribe: 'canSubscribe',
  data: 'canPublishData',
  admin: 'roomAdmin',
  list: 'roomList',
  hidden: 'hidden',
};
const DEFAULT_GRANTS = ['publish', 'subscribe', 'data'];
const FLAGS = ['room', 'identity', 'name', 'grants', 'sources', 'ttl', 'url', 'key'] as const;
type Flag = (typeof FLAGS)[number];

export interface TokenRequest {
  mint: MintOptions;
  /** The page with ?room= (and ?name=) and ?token= to append. */
  pageUrl: string;
}

export type TokenArgs = { help: true } | { help: false; request: TokenRequest };

/**
 * parseArgs in strict mode: it rejects unknown flags, positionals and forgotten values in its own words
 * (which name the flag); each flag may come once, and with something in it.
 */
function readFlags(argv: readonly string[]): Map<Flag, string> {
  let values: Record<string, string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: Object.fromEntries(FLAGS.map((flag) => [flag, { type: 'string', multiple: true }])), strict: true }));
  } catch (error) {
    // One line: some of its messages span several.
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      throw new TokenOptionsError(`${(error as Error).message.replace(/\s+/g, ' ')} (see --help)`);
    throw error;
  }
  const flags = new Map<Flag, string>();
  for (const flag of FLAGS) {
    const given = values[flag];
    if (given === undefined) continue;
    if (given.length > 1) throw new TokenOptionsError(`--${flag} given twice`);
    const value = given[0]!.trim();
    if (value === '') throw new TokenOptionsError(`--${flag} needs a value`);
    flags.set(flag, value);
  }
  return flags;
}

function list(value: string, flag: string, allowed: readonly string[]): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.find((item) => !allowed.includes(item));
  if (unknown !== undefined) throw new TokenOptionsError(`${flag}: unknown '${unknown}' (expected some of ${allowed.join(', ')})`);
  return items;
}

/** 3600, 90s, 30m, 6h, 7d → seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'] : NaN;
  if (!(seconds >= 1 && seconds <= 366 * 86_400))
    throw new TokenOptionsError(`--ttl expects seconds or a number with s, m, h or d, up to a year (e.g. 3600 or 6h), got '${value}'`);
  return seconds;
}

function pageUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TokenOptionsError(`--url expects http:// or https:// and a host, e.g. https://sfu.example.org, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TokenOptionsError(`--url expects http:// or https://, got '${value}'`);
  return url;
}

/** The signing key: `--key`, else the first of AUTH_KEYS. */
function signingKey(env: Env, wanted: string | undefined): { apiKey: string; apiSecret: string } {
  let keys: Map<string, string>;
  try {
    keys = apiKeys(env, 'AUTH_KEYS', 32);
  } catch (error) {
    if (error instanceof ConfigError) throw new TokenOptionsError(error.message);
    throw error;
  }
  if (keys.size === 0) throw new TokenOptionsError("AUTH_KEYS is not set: run it with the server's key:secret pairs, e.g. AUTH_KEYS=main:… npm run token -- …");
  const apiKey = wanted ?? [...keys.keys()][0]!;
  const apiSecret = keys.get(apiKey);
  if (apiSecret === undefined) throw new TokenOptionsError(`--key ${apiKey} is not one of AUTH_KEYS (${[...keys.keys()].join(', ')})`);
  return { apiKey, apiSecret };
}

export function parseTokenArgs(argv: readonly string[], env: Env): TokenArgs {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const flags = readFlags(argv);
  const room = flags.get('room');
  const identity = flags.get('identity');
  if (room === undefined) throw new TokenOptionsError('--room is required');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(room))
    throw new TokenOptionsError(`--room: room names use letters, digits, - _ . (up to 64, starting with a letter or digit), got '${room}'`);
  if (identity === undefined) throw new TokenOptionsError('--identity is required');
  if (identity.length > 256) throw new TokenOptionsError('--identity: at most 256 characters');
  const name = flags.get('name');
  if (name !== undefined && name.length > 64) throw new TokenOptionsError('--name: at most 64 characters');

  const grants = flags.has('grants') ? list(flags.get('grants')!, '--grants', Object.keys(GRANTS)) : DEFAULT_GRANTS;
  const video: VideoGrant = { roomJoin: true, room, canPublish: false, canSubscribe: false, canPublishData: false };
  for (const grant of grants) (video as Record<string, unknown>)[GRANTS[grant]!] = true;
  const sources = flags.get('sources');
  if (sources !== undefined) {
    if (!video.canPublish) throw new TokenOptionsError('--sources limits publishing: add publish to --grants');
    video.canPublishSources = list(sources, '--sources', Object.keys(LIVEKIT_SOURCES));
  }
  const ttl = flags.get('ttl');
  const url = pageUrl(flags.get('url') ?? 'http://localhost:3000');
  url.search = new URLSearchParams({ room, ...(name !== undefined ? { name } : {}) }).toString();
  url.hash = '';

  return {
    help: false,
    request: {
      mint: {
        ...signingKey(env, flags.get('key')),
        identity,
        ...(name !== undefined ? { name } : {}),
        video,
        ttlSeconds: ttl === undefined ? 6 * 3600 : parseTtl(ttl),
      },
      pageUrl: url.toString(),
    },
  };
}
