/**
 * Typed readers for environment variables. Each one either returns a valid value (or the fallback when
 * the variable is unset or blank) or throws a ConfigError naming the variable and the expected form —
 * never a half-parsed value that fails later somewhere obscure.
 */
import net from 'node:net';
import fs from 'node:fs';

export type Env = Record<string, string | undefined>;

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

/** Shown instead of a secret's value in errors: secrets never reach logs. */
const HIDDEN = '(hidden)';

export function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

export function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, raw, `one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

export function ip(env: Env, name: string, fallback: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (net.isIP(raw) === 0) throw new ConfigError(name, raw, 'an IPv4 or IPv6 address');
  return raw;
}

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function isHost(value: string): boolean {
  return net.isIP(value) !== 0 || HOSTNAME.test(value);
}

export function address(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (!isHost(raw)) throw new ConfigError(name, raw, 'an IP address or a hostname');
  return raw;
}

export function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, raw, 'true or false (or 1/0, yes/no)');
}

export function executable(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  try {
    fs.accessSync(raw, fs.constants.X_OK);
  } catch {
    throw new ConfigError(name, raw, 'the path of an existing executable file');
  }
  return raw;
}

export function readableFile(env: Env, name: string): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  try {
    fs.accessSync(raw, fs.constants.R_OK);
    if (!fs.statSync(raw).isFile()) throw new Error('not a file');
  } catch {
    throw new ConfigError(name, raw, 'the path of a readable file');
  }
  return raw;
}

/** A shared secret: at least `minLength` characters; its value never appears in the error. */
export function secret(env: Env, name: string, minLength: number): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (raw.length < minLength) throw new ConfigError(name, HIDDEN, `a secret of at least ${minLength} characters`);
  return raw;
}

/**
 * Comma-separated URLs of the given schemes, each `scheme:host[:port][?transport=udp|tcp]` as RTCIceServer
 * takes them (RFC 7064/7065). Host: a name, an IPv4 address or a bracketed IPv6 address.
 */
export function iceUrls(env: Env, name: string, schemes: readonly string[]): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  const urls = raw.split(',').map((url) => url.trim());
  const form = new RegExp(`^(${schemes.join('|')}):(\\[[0-9a-fA-F:.]+\\]|[^:?\\[\\]/]+)(:(\\d{1,5}))?(\\?transport=(udp|tcp))?$`);
  for (const url of urls) {
    const match = form.exec(url);
    const host = match?.[2]?.replace(/^\[(.*)\]$/, '$1');
    const port = match?.[4] === undefined ? 1 : Number(match[4]);
    const hostOk = host !== undefined && (match![2]!.startsWith('[') ? net.isIPv6(host) : isHost(host));
    if (!match || !hostOk || port < 1 || port > 65535) {
      const example = schemes.includes('turn') ? 'turn:host:3478?transport=udp' : 'stun:host:3478';
      throw new ConfigError(name, url, `comma-separated ${schemes.join('/')} URLs like ${example}`);
    }
  }
  return urls;
}

/** `key:secret` pairs, comma-separated: API key → secret (each secret at least `minSecret` characters). */
export function apiKeys(env: Env, name: string, minSecret: number): Map<string, string> {
  const keys = new Map<string, string>();
  const raw = read(env, name);
  if (raw === undefined) return keys;
  for (const pair of raw.split(',')) {
    const colon = pair.indexOf(':');
    const key = pair.slice(0, Math.max(colon, 0)).trim();
    const secretValue = pair.slice(colon + 1).trim();
    if (colon < 1 || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) {
      throw new ConfigError(name, HIDDEN, 'comma-separated key:secret pairs, keys of letters, digits, `_`, `.` and `-`');
    }
    if (secretValue.length < minSecret) throw new ConfigError(name, HIDDEN, `a secret of at least ${minSecret} characters for key ${key}`);
    if (keys.has(key)) throw new ConfigError(name, HIDDEN, `each key once (${key} is repeated)`);
    keys.set(key, secretValue);
  }
  return keys;
}

/** 127.0.0.0/8 and ::1: only this machine can connect. */
export function isLoopback(host: string): boolean {
  return host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));
}
