/**
 * Load tests against a server with AUTH_KEYS: --api-key/--api-secret (or the key's secret from AUTH_KEYS)
 * give every bot its own token (identity bot-<name>, its room), sim bots send it in join, browser bots
 * open the page with ?token=; the secret never reaches the report. Through the real CLI and server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testkit/server';
import { API_KEY, API_SECRET, AUTH_ENV } from '../../testkit/tokens';
import { TokenVerifier } from '../../server/src/auth/tokens';
import { OptionsError, parseOptions } from '../src/options';
import { botToken } from '../src/bots/token-bots';
import { botPageFor } from '../src/bots/browser/page-url';
import type { Report } from '../src/report/json';
import { runCli } from './run-cli';

describe('--api-key / --api-secret', () => {
  it('become credentials kept out of the options (and so out of the report)', () => {
    const parsed = parseOptions(['--api-key', 'k1', '--api-secret', 's3cret'], {});
    expect(parsed).toMatchObject({ help: false, credentials: { apiKey: 'k1', apiSecret: 's3cret' } });
    expect(JSON.stringify((parsed as { options: unknown }).options)).not.toContain('s3cret');
    expect(parseOptions(['--api-key', 'k2'], { AUTH_KEYS: 'k1:aaa, k2:bbb:with-colon' })).toMatchObject({
      credentials: { apiKey: 'k2', apiSecret: 'bbb:with-colon' },
    });
    expect(parseOptions([], { AUTH_KEYS: 'k1:aaa' })).not.toHaveProperty('credentials');
  });

  it.each([
    [['--api-secret', 's'], /--api-secret needs --api-key/],
    [['--api-key', 'nokey'], /--api-key nokey needs --api-secret, or AUTH_KEYS/],
    [['--api-key', ' '], /--api-key expects a value/],
  ])('%j → %s', (args, message) => {
    expect(() => parseOptions(args, {})).toThrow(OptionsError);
    expect(() => parseOptions(args, {})).toThrow(message);
  });

  it('each bot gets its own identity, for its own room', async () => {
    const token = await botToken({ room: 'load-x-r1', name: 'r1-b3' }, { apiKey: API_KEY, apiSecret: API_SECRET });
    const claims = await new TokenVerifier(new Map([[API_KEY, API_SECRET]])).verify(token);
    expect(claims).toMatchObject({ identity: 'bot-r1-b3', name: 'r1-b3', video: { roomJoin: true, room: 'load-x-r1' } });
  });

  it('browser bots carry it in the page address', () => {
    const page = botPageFor({ url: 'ws://127.0.0.1:3000/ws', room: 'r', name: 'b', publish: null, token: 'a.b.c' });
    expect(new URL(page.url).searchParams.get('token')).toBe('a.b.c');
  });
});

describe('npm run loadtest against a server with AUTH_KEYS', { timeout: 150_000 }, () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    server = await startTestServer({ ...AUTH_ENV, ALLOW_PLAIN_TRANSPORTS: 'false' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-tokens-'));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function loadTest(name: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: Report; text: string }> {
    const out = path.join(dir, `${name}.json`);
    const run = await runCli(['--url', server.baseUrl, '--out', out, '--min-joined', '100%', '--duration', '3', ...args], {
      timeoutMs: 120_000,
      env: { AUTH_KEYS: undefined, ...env },
    });
    const text = fs.readFileSync(out, 'utf8');
    return { code: run.code, report: JSON.parse(text) as Report, text: `${text}\n${run.stdout}\n${run.stderr}` };
  }

  it('without tokens every bot is refused, saying a token is needed', async () => {
    const { code, report } = await loadTest('none', ['--bots', 'sim', '--peers-per-room', '2', '--join-timeout', '10']);
    expect(code).toBe(1);
    expect(report.summary.joined).toBe(0);
    expect(Object.keys(report.summary.failures)).toEqual([expect.stringMatching(/needs an access token/)]);
  });

  it('sim bots with --api-key and --api-secret: all join, all media arrives, the secret is nowhere in the output', async () => {
    const { code, report, text } = await loadTest('sim', ['--bots', 'sim', '--peers-per-room', '3', '--api-key', API_KEY, '--api-secret', API_SECRET]);
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ planned: 3, joined: 3, failed: 0 });
    expect(report.summary.streams.received).toBe(report.summary.streams.expected);
    expect(text).not.toContain(API_SECRET);
  });

  it('browser bots with --api-key and the secret from AUTH_KEYS: all join through ?token=', async () => {
    const { code, report, text } = await loadTest(
      'browser',
      ['--bots', 'browser', '--peers-per-room', '2', '--publishers-per-room', '1', '--bots-per-browser', '2', '--api-key', API_KEY],
      AUTH_ENV,
    );
    expect(code, text).toBe(0);
    expect(report.summary).toMatchObject({ planned: 2, joined: 2, failed: 0 });
    expect(report.summary.streams.received).toBe(report.summary.streams.expected);
    expect(text).not.toContain(API_SECRET);
  });
});
