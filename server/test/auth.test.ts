/**
 * Access tokens through the real server: which tokens admit a peer (every way one can be wrong answers
 * `unauthorized` and leaves the socket usable), tokens from livekit-server-sdk, the access_token query
 * parameter, one membership per identity, hidden peers, open-mode rules and `npm run token`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { SignJWT } from 'jose';
import { AccessToken, TrackSource } from 'livekit-server-sdk';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { API_KEY, API_SECRET, AUTH_ENV, tokenFor } from '../../testkit/tokens';
import { mintToken } from '../src/auth/mint';
import { TokenVerifier } from '../src/auth/tokens';
import { until } from '../../testkit/until';
import pino from 'pino';
import { buildApp } from '../src/app';
import { WorkerPool } from '../src/media/worker-pool';
import { silentLog, testConfig } from '../../testkit/config';
import { OS_CHOSEN_PORTS_ENV } from '../../testkit/ports';

const root = path.resolve(__dirname, '../..');
let server: TestServer;
const peers: TestPeer[] = [];
let seq = 0;
const freshRoom = (): string => `auth-${process.pid}-${++seq}`;

async function connect(url = server.wsUrl): Promise<TestPeer> {
  const p = await TestPeer.connect(url);
  peers.push(p);
  return p;
}

beforeAll(async () => {
  server = await startTestServer(AUTH_ENV);
});
afterAll(async () => {
  for (const p of peers) p.close();
  await server?.close();
});

describe('join with keys configured', () => {
  const secret = new TextEncoder().encode(API_SECRET);
  const now = (): number => Math.floor(Date.now() / 1000);
  /** Each case: a token (or none) for `room`, and what the refusal must say. */
  const refused: [string, (room: string) => Promise<string | undefined>, RegExp][] = [
    ['missing', async () => undefined, /needs an access token.*join\.token.*access_token/],
    ['empty', async () => '', /needs an access token/],
    ['malformed', async () => 'not-a-jwt', /malformed access token/],
    [
      'forged (signed with another secret)',
      (room) => mintToken({ apiKey: API_KEY, apiSecret: 'x'.repeat(40), identity: 'mallory', video: { roomJoin: true, room } }),
      /signature does not verify/,
    ],
    [
      'expired',
      (room) =>
        new SignJWT({ video: { roomJoin: true, room } })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(API_KEY)
          .setSubject('late')
          .setExpirationTime(now() - 60)
          .sign(secret),
      /expired/,
    ],
    ['not valid yet (nbf)', (room) => tokenFor(room, 'early', { notBeforeSeconds: 600 }), /not valid yet/],
    [
      'unknown key',
      (room) => mintToken({ apiKey: 'other-key', apiSecret: API_SECRET, identity: 'x', video: { roomJoin: true, room } }),
      /unknown API key "other-key"/,
    ],
    ['for another room', () => tokenFor('elsewhere', 'wanderer'), /for room "elsewhere", not "auth-/],
    ['roomJoin false', (room) => tokenFor(room, 'nojoin', { video: { roomJoin: false } }), /does not grant roomJoin/],
    ['no room in the grant', async () => mintToken({ apiKey: API_KEY, apiSecret: API_SECRET, identity: 'x', video: { roomJoin: true } }), /names no room/],
  ];

  it.each(refused)('refuses a %s token with unauthorized; the socket stays usable for a good token', async (_label, make, message) => {
    const room = freshRoom();
    const p = await connect();
    const answer = await p.joinRaw(room, 'P', await make(room));
    expect(answer).toMatchObject({ ok: false, error: { code: 'unauthorized', message: expect.stringMatching(message) } });
    expect(p.open).toBe(true);
    const joined = await p.join(room, 'P', await tokenFor(room, 'retry'));
    expect(joined.room).toBe(room);
  });

  it('admits a valid token: identity from sub, display name from the name claim', async () => {
    const room = freshRoom();
    const alice = await connect();
    await alice.join(room, 'typed name', await tokenFor(room, 'alice@example', { name: 'Alice A.' }));
    const bob = await connect();
    const joined = await bob.join(room, 'Bob', await tokenFor(room, 'bob'));
    expect(joined.peers).toEqual([{ id: alice.joined!.peerId, identity: 'alice@example', displayName: 'Alice A.', producers: [] }]);
    const note = await alice.waitFor('peerJoined');
    expect(note.peer).toMatchObject({ identity: 'bob', displayName: 'Bob' });
  });

  it('admits a livekit-server-sdk AccessToken and enforces its grants', async () => {
    const room = freshRoom();
    const at = new AccessToken(API_KEY, API_SECRET, { identity: 'lk-user', name: 'From LiveKit', ttl: '10m' });
    at.addGrant({ roomJoin: true, room, canPublishSources: [TrackSource.MICROPHONE] });
    const p = await connect();
    const joined = await p.join(room, 'ignored', await at.toJwt());
    expect(joined.room).toBe(room);
    const other = await connect();
    const seen = await other.join(room, 'Other', await tokenFor(room, 'other'));
    expect(seen.peers[0]).toMatchObject({ identity: 'lk-user', displayName: 'From LiveKit' });
    await p.publish('mic');
    await expect(p.publish('webcam', false)).rejects.toThrow(/does not grant publishing webcam \(canPublishSources: microphone; this source is camera\)/);
  });

  it('takes the token from the access_token query parameter of /ws when join has none', async () => {
    const room = freshRoom();
    const token = await tokenFor(room, 'query-user');
    const p = await connect(`${server.wsUrl}?access_token=${encodeURIComponent(token)}`);
    const joined = await p.join(room, 'Q');
    expect(joined.room).toBe(room);
    // join.token wins over the query parameter: a bad one there is refused even with a good one in the URL.
    const q = await connect(`${server.wsUrl}?access_token=${encodeURIComponent(token)}`);
    expect(await q.joinRaw(room, 'Q', 'garbage')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });
});

describe('tokens in logs', () => {
  it('neither the /ws access_token nor the page ?token= reaches the request log', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const config = testConfig({ ...AUTH_ENV, LOG_LEVEL: 'trace' });
    const pool = await WorkerPool.create(config.media, silentLog);
    const { app } = await buildApp({ config, log, pool });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const room = freshRoom();
      const token = await tokenFor(room, 'logged');
      const p = await TestPeer.connect(`${base.replace('http', 'ws')}/ws?x=1&access_token=${encodeURIComponent(token)}`);
      await p.join(room, 'L');
      await (await TestPeer.connect(`${base.replace('http', 'ws')}/ws`)).joinRaw(room, 'L2', `${token}x`);
      await fetch(`${base}/?room=${room}&token=${encodeURIComponent(token)}`);
      p.close();
      const all = lines.join('');
      expect(all).toContain('incoming request');
      expect(all).toMatch(/"url":"\/ws\?x=1"/);
      expect(all).toContain(`"url":"/?room=${room}"`);
      expect(all).not.toContain(token.split('.')[2]!);
    } finally {
      await app.close();
      await pool.close();
    }
  });
});

describe('one membership per identity', () => {
  it('a second join with the same identity removes the first (removed, close code 4001); others see one peer', async () => {
    const room = freshRoom();
    const watcher = await connect();
    await watcher.join(room, 'W', await tokenFor(room, 'watcher'));
    const first = await connect();
    await first.join(room, 'Carol', await tokenFor(room, 'carol'));
    await first.publish('mic');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      first.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const second = await connect();
    const joined = await second.join(room, 'Carol again', await tokenFor(room, 'carol'));

    expect(await first.waitFor('removed')).toEqual({ reason: 'duplicate_identity' });
    expect(await closed).toEqual({ code: 4001, reason: 'duplicate_identity' });
    expect(joined.peers.map((p) => p.identity)).toEqual(['watcher']);
    const left = await watcher.waitFor('peerLeft');
    expect(left.peerId).toBe(first.joined!.peerId);
    await watcher.waitFor('peerJoined', (d) => d.peer.id === second.joined!.peerId);
    expect(watcher.count('peerJoined', (d) => d.peer.identity === 'carol')).toBe(2);
    // Net: one carol, the new one. A third peer's join answer shows exactly that.
    const third = await connect();
    const view = await third.join(room, 'T', await tokenFor(room, 'third'));
    expect(view.peers.map((p) => [p.identity, p.id]).sort()).toEqual(
      [
        ['carol', second.joined!.peerId],
        ['watcher', watcher.joined!.peerId],
      ].sort(),
    );
    // The new membership works.
    await second.publish('mic');
  });

  it('different identities coexist', async () => {
    const room = freshRoom();
    const a = await connect();
    await a.join(room, 'A', await tokenFor(room, 'a'));
    const b = await connect();
    const joined = await b.join(room, 'B', await tokenFor(room, 'b'));
    expect(joined.peers).toHaveLength(1);
    expect(a.count('removed')).toBe(0);
  });
});

describe('hidden peers', () => {
  it('are not announced or listed, and still receive what others publish', async () => {
    const room = freshRoom();
    const speaker = await connect();
    await speaker.join(room, 'Speaker', await tokenFor(room, 'speaker'));
    await speaker.publish('mic');
    const recorder = await connect();
    const joined = await recorder.join(room, 'Recorder', await tokenFor(room, 'recorder', { video: { hidden: true } }));
    expect(joined.peers.map((p) => p.identity)).toEqual(['speaker']);
    await recorder.createRecvTransport();
    await recorder.waitFor('newConsumer', (d) => d.peerId === speaker.joined!.peerId);

    const late = await connect();
    const lateView = await late.join(room, 'Late', await tokenFor(room, 'late'));
    expect(lateView.peers.map((p) => p.identity)).toEqual(['speaker']);
    recorder.close();
    await until(() => server.directory.get(room)!.peers.size === 2);
    expect(speaker.count('peerJoined', (d) => d.peer.identity === 'recorder')).toBe(0);
    expect(speaker.count('peerLeft', (d) => d.peerId === recorder.joined!.peerId)).toBe(0);
    expect(speaker.count('peerJoined', (d) => d.peer.identity === 'late')).toBe(1);
  });
});

describe('open mode', () => {
  it('a loopback server without keys admits anyone, identity = peer id, no clash', async () => {
    const open = await startTestServer({});
    try {
      const room = freshRoom();
      const a = await TestPeer.connect(open.wsUrl);
      const b = await TestPeer.connect(open.wsUrl);
      await a.join(room, 'Same');
      const joined = await b.join(room, 'Same');
      expect(joined.peers).toEqual([{ id: a.joined!.peerId, identity: a.joined!.peerId, displayName: 'Same', producers: [] }]);
      await b.publish('webcam');
      expect(a.count('removed')).toBe(0);
      a.close();
      b.close();
    } finally {
      await open.close();
    }
  });

  const spawnEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, AUTH_KEYS: '', AUTH_OPEN: '', ...OS_CHOSEN_PORTS_ENV, MEDIASOUP_NUM_WORKERS: '1' };
    Object.assign(env, { LOG_FORMAT: 'json' });
    return { ...env, ...extra };
  };

  it('refuses to start on a public address without keys: exit 2, one line', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      env: spawnEnv({ HTTP_HOST: '0.0.0.0' }),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/AUTH_KEYS.*HTTP_HOST=0\.0\.0\.0.*AUTH_OPEN=true/);
  });

  it('starts on a public address with AUTH_OPEN=true, and says it is open', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      env: spawnEnv({ HTTP_HOST: '0.0.0.0', AUTH_OPEN: 'true', LOG_LEVEL: 'info' }),
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await until(
        () => {
          if (child.exitCode !== null) throw new Error(`server did not start in open mode:\n${out}`);
          return /Confero is up/.test(out) && /open mode/.test(out);
        },
        { timeoutMs: 20_000, intervalMs: 100, what: () => `the server starts in open mode:\n${out}` },
      );
      const line = out.split('\n').find((l) => l.includes('open mode'))!;
      expect(JSON.parse(line)).toMatchObject({ level: 40, msg: expect.stringMatching(/anyone who reaches this server joins any room; set AUTH_KEYS/) });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

describe('npm run token', () => {
  const cli = (args: string[], env: Record<string, string | undefined>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'server/src/auth/token-cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, AUTH_KEYS: undefined, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('prints a token that verifies and joins, and a join link with it', async () => {
    const room = freshRoom();
    const result = cli(
      ['--room', room, '--identity', 'dave', '--name', 'Dave', '--grants', 'subscribe,data', '--ttl', '1h', '--url', 'https://sfu.example.org'],
      { AUTH_KEYS: `spare:${'s'.repeat(32)},${API_KEY}:${API_SECRET}` },
    );
    expect(result.status).toBe(0);
    // Several keys: the first signs unless --key says otherwise; this server only knows API_KEY.
    const [firstKeyToken] = result.stdout.trim().split('\n');
    await expect(new TokenVerifier(new Map([['spare', 's'.repeat(32)]])).verify(firstKeyToken!)).resolves.toMatchObject({ apiKey: 'spare' });

    const keyed = cli(
      [
        '--room',
        room,
        '--identity',
        'dave',
        '--name',
        'Dave',
        '--grants',
        'subscribe,data',
        '--ttl',
        '1h',
        '--url',
        'https://sfu.example.org',
        '--key',
        API_KEY,
      ],
      {
        AUTH_KEYS: `spare:${'s'.repeat(32)},${API_KEY}:${API_SECRET}`,
      },
    );
    const [token, link] = keyed.stdout.trim().split('\n');
    expect(link).toBe(`https://sfu.example.org/?room=${room}&name=Dave&token=${token}`);
    const claims = await new TokenVerifier(new Map([[API_KEY, API_SECRET]])).verify(token!);
    expect(claims).toMatchObject({
      identity: 'dave',
      name: 'Dave',
      video: { roomJoin: true, room, canPublish: false, canSubscribe: true, canPublishData: true },
    });
    expect(claims.expiresAt - Date.now() / 1000).toBeGreaterThan(3500);
    expect(claims.expiresAt - Date.now() / 1000).toBeLessThanOrEqual(3600);
    expect(keyed.stderr).toMatch(/token for "dave" in room .* signed with key test-key: canSubscribe, canPublishData/);
    expect(keyed.stderr).not.toContain(API_SECRET);

    const p = await connect();
    await p.join(room, 'x', token);
    await expect(p.publish('mic')).rejects.toThrow(/does not grant canPublish/);
    await p.createRecvTransport();
  });

  it.each([
    [['--identity', 'x'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /--room is required/],
    [['--room', 'r'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /--identity is required/],
    [['--room', 'r', '--identity', 'x'], {}, /AUTH_KEYS is not set/],
    [['--room', 'bad room', '--identity', 'x'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /--room: room names use/],
    [['--room', 'r', '--identity', 'x', '--grants', 'publish,fly'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /--grants: unknown 'fly'/],
    [['--room', 'r', '--identity', 'x', '--sources', 'camera', '--grants', 'subscribe'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /add publish to --grants/],
    [['--room', 'r', '--identity', 'x', '--ttl', 'soon'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /--ttl expects/],
    [['--room', 'r', '--identity', 'x', '--key', 'nope'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /--key nope is not one of AUTH_KEYS/],
    [['--room', 'r', '--identity', 'x', '--url', 'ftp://x'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /--url expects http/],
    [['--room', 'r', '--identity', 'x'], { AUTH_KEYS: 'short:secret' }, /AUTH_KEYS.*at least 32/],
    [['--room', 'r', '--identity', 'x', '--bogus', 'y'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /Unknown option '--bogus'.*\(see --help\)$/],
    [['--room', 'r', '--identity'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /Option '--identity <value>' argument missing/],
    [
      ['--room', '--identity', 'x'],
      { AUTH_KEYS: `${API_KEY}:${API_SECRET}` },
      /Option '--room' argument is ambiguous\. Did you forget to specify the option argument/,
    ],
    [['--room', 'r', '--room', 's', '--identity', 'x'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /: --room given twice$/],
    [['--room', 'r', '--identity', ' '], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /: --identity needs a value$/],
    [['r', '--identity', 'x'], { AUTH_KEYS: `${API_KEY}:${API_SECRET}` }, /Unexpected argument 'r'/],
  ])('%j → exit 2 with one clear line', (args, env, message) => {
    const result = cli(args as string[], env);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).not.toContain(API_SECRET);
  });
});
