/**
 * Abuse limits: the pure parts (token bucket, per-key windows) with a fake clock, then each limit through
 * a real server (real workers, real /ws, real HTTP) started with small limits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import WebSocket from 'ws';
import { TokenBucket } from '../src/limits/token-bucket';
import { KeyedWindowCounter } from '../src/limits/fixed-window';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { WorkerPool } from '../src/media/worker-pool';
import { PROTOCOL_VERSION, type Response } from '../../protocol/src';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { silentLog, testConfig } from '../../testkit/config';

function fakeClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('limit settings', () => {
  it('have defaults a normal call never meets, and read every variable', () => {
    expect(loadConfig({}).limits).toEqual({
      wsRatePerSecond: 50,
      wsRateBurst: 200,
      wsRateCloseAfter: 100,
      joinsPerIpPerMinute: 60,
      maxRooms: 1000,
      maxWsConnections: 5000,
      maxWsConnectionsPerIp: 200,
      httpRatePerMinute: 600,
      trustProxy: [],
    });
    const env = {
      WS_RATE_PER_SECOND: '7',
      WS_RATE_BURST: '8',
      WS_RATE_CLOSE_AFTER: '9',
      JOINS_PER_IP_PER_MINUTE: '10',
      MAX_ROOMS: '11',
      MAX_WS_CONNECTIONS: '12',
      MAX_WS_CONNECTIONS_PER_IP: '13',
      HTTP_RATE_PER_MINUTE: '14',
      TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8',
    };
    expect(loadConfig(env).limits).toEqual({
      wsRatePerSecond: 7,
      wsRateBurst: 8,
      wsRateCloseAfter: 9,
      joinsPerIpPerMinute: 10,
      maxRooms: 11,
      maxWsConnections: 12,
      maxWsConnectionsPerIp: 13,
      httpRatePerMinute: 14,
      trustProxy: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'],
    });
  });

  it.each([
    ['WS_RATE_PER_SECOND', '0', 'an integer from 1'],
    ['MAX_ROOMS', 'lots', 'an integer'],
    ['TRUST_PROXY', 'proxy.example.org', 'comma-separated IP addresses or CIDR blocks'],
    ['TRUST_PROXY', '10.0.0.0/33', 'comma-separated IP addresses or CIDR blocks'],
    ['TRUST_PROXY', '10.0.0.0/8/8', 'comma-separated IP addresses or CIDR blocks'],
  ])('%s=%s fails with one clear line', (name, value, expected) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`invalid ${name}=.*expected ${expected}`));
  });
});

describe('token bucket', () => {
  it('allows a burst, refuses beyond it, and refills at the rate up to the burst', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(5, 10, clock.now);
    for (let i = 0; i < 10; i++) expect(bucket.take(), `token ${i}`).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(199);
    expect(bucket.take()).toBe(false); // 0.995 of a token
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    clock.advance(60_000); // a long pause refills to the burst, not beyond
    expect(bucket.available).toBe(10);
    for (let i = 0; i < 10; i++) bucket.take();
    expect(bucket.take()).toBe(false);
  });

  it('sustains exactly the rate', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(50, 1, clock.now);
    let taken = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      clock.advance(1);
      if (bucket.take()) taken++;
    }
    expect(taken).toBeGreaterThanOrEqual(499);
    expect(taken).toBeLessThanOrEqual(501);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new TokenBucket(0, 10)).toThrow(/positive rate/);
    expect(() => new TokenBucket(5, 0)).toThrow(/burst of at least 1/);
  });
});

describe('per-key window counter', () => {
  it('counts each key in its own window and says when the window ends', () => {
    const clock = fakeClock();
    const joins = new KeyedWindowCounter(3, 60_000, clock.now);
    for (let i = 0; i < 3; i++) expect(joins.hit('10.0.0.1')).toEqual({ allowed: true });
    clock.advance(20_000);
    expect(joins.hit('10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 40_000 });
    expect(joins.hit('10.0.0.2')).toEqual({ allowed: true });
    clock.advance(40_000);
    expect(joins.hit('10.0.0.1')).toEqual({ allowed: true });
  });

  it('forgets keys whose window ended', () => {
    const clock = fakeClock();
    const joins = new KeyedWindowCounter(3, 1_000, clock.now);
    for (let i = 0; i < 100; i++) joins.hit(`10.0.0.${i}`);
    expect(joins.size).toBe(100);
    clock.advance(1_000);
    joins.hit('10.0.1.1');
    expect(joins.size).toBe(1);
  });
});

/** A raw socket (optionally claiming a forwarded address) and how it ended. */
async function connect(url: string, forwardedFor?: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, closed };
}

/** The socket stayed open for `ms` (a refused one is closed right after the handshake). */
async function staysOpen(socket: { closed: Promise<unknown> }, ms = 300): Promise<boolean> {
  return Promise.race([socket.closed.then(() => false), sleep(ms, true)]);
}

const joinData = (room: string, rtpCapabilities: unknown = {}) => ({ protocolVersion: PROTOCOL_VERSION, room, displayName: 'x', rtpCapabilities });

describe('per-socket request rate', () => {
  let server: { wsUrl: string; close(): Promise<void> };
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // Built by hand (not startTestServer) to read what the server logs.
    const config = testConfig({ WS_RATE_PER_SECOND: '5', WS_RATE_BURST: '10', WS_RATE_CLOSE_AFTER: '20', EMPTY_ROOM_GRACE_MS: '200' });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const pool = await WorkerPool.create(config.media, silentLog);
    const { app } = await buildApp({ config, log: pino({ level: 'warn' }, sink), pool });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    server = {
      wsUrl: `${base.replace('http', 'ws')}/ws`,
      async close() {
        await app.close();
        await pool.close();
      },
    };
  });
  afterAll(() => server?.close());

  it('answers a flood rate_limited under each id, then closes the socket with 1008, while another socket is served', async () => {
    const flooder = await TestPeer.connect(server.wsUrl);
    const bystander = await TestPeer.connect(server.wsUrl);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      flooder.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const answers: Response[] = [];
    // Answers only: the server's notifications (its `welcome`) are not answers to the flood.
    flooder.ws.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Response | { method: string };
      if ('ok' in message) answers.push(message);
    });
    // An unknown method: answered at once (an answer still being worked on when the socket closes is dropped).
    for (let id = 1; id <= 60; id++) flooder.ws.send(JSON.stringify({ id, method: 'flood', data: { marker: 'flood-payload-marker' } }));
    // The bystander's own bucket is untouched by the flood next door.
    const served = await Promise.all(Array.from({ length: 8 }, () => bystander.raw('getRouterRtpCapabilities', {})));
    expect(served.every((r) => r.ok)).toBe(true);

    const close = await closed;
    expect(close.code).toBe(1008);
    expect(close.reason).toMatch(/rate limit/);
    // Handled (answered for what they are) or refused for the rate.
    const limited = answers.filter((a) => !a.ok && a.error.code === 'rate_limited');
    const handled = answers.filter((a) => !limited.includes(a));
    expect(handled.every((a) => !a.ok && a.error.code === 'unknown_method')).toBe(true);
    // The burst (plus what trickled in meanwhile) is handled; then 20 refusals, each under its request's id, and the socket goes.
    expect(handled.length).toBeGreaterThanOrEqual(10);
    expect(handled.length).toBeLessThan(15);
    expect(limited).toHaveLength(20);
    expect(limited.map((a) => a.id)).toEqual(Array.from({ length: 20 }, (_, i) => handled.length + 1 + i));
    expect((limited[0] as { error: { message: string } }).error.message).toMatch(/at most 5 a second/);
    expect(answers).toHaveLength(handled.length + 20);

    // Logged once, at warn, with the address and without the payload.
    const warnings = lines.filter((l) => String(l.msg).includes('kept sending over its rate limit'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, ip: '127.0.0.1', refused: 20 });
    expect(JSON.stringify(lines)).not.toContain('flood-payload-marker');

    // The limit is the socket's: the same client on a new socket is served at once, and the bystander still is.
    const again = await TestPeer.connect(server.wsUrl);
    expect((await again.raw('getRouterRtpCapabilities', {})).ok).toBe(true);
    expect((await bystander.raw('getRouterRtpCapabilities', {})).ok).toBe(true);
    again.close();
    bystander.close();
  });

  it('a client that keeps within the rate is never refused', async () => {
    const calm = await TestPeer.connect(server.wsUrl);
    // 10 in a burst, then 5 a second for 2 s: within burst + rate throughout.
    const answers = await Promise.all(Array.from({ length: 10 }, () => calm.raw('getRouterRtpCapabilities', {})));
    for (let i = 0; i < 8; i++) {
      await sleep(250);
      answers.push(await calm.raw('getRouterRtpCapabilities', {}));
    }
    expect(answers.filter((a) => !a.ok)).toEqual([]);
    calm.close();
  });
});

describe('joins per client address', () => {
  let direct: TestServer;
  let proxied: TestServer;
  const sockets: TestPeer[] = [];
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([
      startTestServer({ JOINS_PER_IP_PER_MINUTE: '3' }),
      startTestServer({ JOINS_PER_IP_PER_MINUTE: '1', TRUST_PROXY: '127.0.0.1' }),
    ]);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(() => Promise.all([direct?.close(), proxied?.close()]));

  it('refuses the join over the limit with rate_limited saying when to retry; other requests go on', async () => {
    for (let i = 0; i < 3; i++) {
      const p = await TestPeer.connect(direct.wsUrl);
      sockets.push(p);
      await p.join(`joins-${i}`, `P${i}`);
    }
    const fourth = await TestPeer.connect(direct.wsUrl);
    sockets.push(fourth);
    const { routerRtpCapabilities } = await fourth.request('getRouterRtpCapabilities', {});
    const refused = await fourth.raw('join', joinData('joins-x', routerRtpCapabilities));
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect((refused as { error: { message: string } }).error.message).toMatch(/at most 3 a minute; retry in (\d+) s/);
    const seconds = Number(/retry in (\d+) s/.exec((refused as { error: { message: string } }).error.message)![1]);
    expect(seconds).toBeGreaterThan(30);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(direct.directory.get('joins-x')).toBeUndefined();
    // Not a socket offence: the socket stays and answers.
    expect((await fourth.raw('getRouterRtpCapabilities', {})).ok).toBe(true);
  });

  it('X-Forwarded-For is ignored unless TRUST_PROXY names the proxy', async () => {
    // Without TRUST_PROXY a forged header does not buy a fresh budget: still 127.0.0.1, still over.
    const forged = await connect(direct.wsUrl, '203.0.113.9');
    const answer = new Promise<Response>((resolve) => forged.ws.once('message', (raw) => resolve(JSON.parse(raw.toString()) as Response)));
    forged.ws.send(JSON.stringify({ id: 1, method: 'join', data: joinData('joins-forged') }));
    expect(await answer).toMatchObject({ id: 1, ok: false, error: { code: 'rate_limited' } });
    forged.ws.close();

    // Behind a trusted proxy each forwarded address has its own budget (1 a minute here).
    const joinVia = async (address: string): Promise<Response> => {
      const socket = await connect(proxied.wsUrl, address);
      const reply = new Promise<Response>((resolve) => socket.ws.once('message', (raw) => resolve(JSON.parse(raw.toString()) as Response)));
      socket.ws.send(JSON.stringify({ id: 1, method: 'join', data: joinData(`via-${address}`) }));
      const response = await reply;
      socket.ws.close();
      return response;
    };
    // Bad rtpCapabilities: the join is counted (it was attempted) and then refused for its data, not its rate.
    expect(await joinVia('198.51.100.1')).not.toMatchObject({ error: { code: 'rate_limited' } });
    expect(await joinVia('198.51.100.1')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(await joinVia('198.51.100.2')).not.toMatchObject({ error: { code: 'rate_limited' } });
  });
});

describe('rooms per node', () => {
  let server: TestServer;
  const peers: TestPeer[] = [];
  beforeAll(async () => {
    server = await startTestServer({ MAX_ROOMS: '2', EMPTY_ROOM_GRACE_MS: '0' });
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await server?.close();
  });
  const peer = async (): Promise<TestPeer> => {
    const p = await TestPeer.connect(server.wsUrl);
    peers.push(p);
    return p;
  };

  it('refuses a new room beyond MAX_ROOMS with unavailable; existing rooms stay joinable; a closed room frees its place', async () => {
    const a = await peer();
    await a.join('rooms-a', 'A');
    await (await peer()).join('rooms-b', 'B');
    const c = await peer();
    const error = await c.join('rooms-c', 'C').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/maximum of 2 rooms/) });
    expect(server.directory.get('rooms-c')).toBeUndefined();
    // An existing room takes more peers.
    const joined = await (await peer()).join('rooms-a', 'A2');
    expect(joined.peers.map((p) => p.displayName)).toEqual(['A']);
    // Room b empties and closes: its place goes to c.
    peers[1]!.close();
    await expect.poll(() => server.directory.get('rooms-b'), { timeout: 5000 }).toBeUndefined();
    expect((await c.join('rooms-c', 'C')).room).toBe('rooms-c');
  });
});

describe('WebSocket connections per node and per address', () => {
  let server: TestServer;
  const open: { ws: WebSocket; closed: Promise<{ code: number; reason: string }> }[] = [];
  beforeAll(async () => {
    server = await startTestServer({ MAX_WS_CONNECTIONS: '4', MAX_WS_CONNECTIONS_PER_IP: '2', TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(async () => {
    for (const s of open) s.ws.close();
    await server?.close();
  });

  it('closes the connection over a cap with 1013 and the reason; a freed place is taken again', async () => {
    for (const address of ['198.51.100.1', '198.51.100.1', '198.51.100.2']) open.push(await connect(server.wsUrl, address));
    // The third from one address: over the per-address cap.
    const third = await connect(server.wsUrl, '198.51.100.1');
    expect(await third.closed).toEqual({ code: 1013, reason: 'too many connections from your address (limit 2); try again later' });
    open.push(await connect(server.wsUrl, '198.51.100.2'));
    // Four open: the node is full for everyone.
    const fifth = await connect(server.wsUrl, '198.51.100.3');
    expect(await fifth.closed).toEqual({ code: 1013, reason: 'server at its limit of 4 connections; try again later' });
    for (const s of open) expect(await staysOpen(s, 50)).toBe(true);

    // One leaves: the next gets in, stays, and is served.
    const leaving = open.shift()!;
    leaving.ws.close();
    await leaving.closed;
    await sleep(100); // the server's own close handler runs
    const next = await connect(server.wsUrl, '198.51.100.3');
    open.push(next);
    expect(await staysOpen(next)).toBe(true);
    const answer = new Promise<Response>((resolve) => next.ws.once('message', (raw) => resolve(JSON.parse(raw.toString()) as Response)));
    next.ws.send(JSON.stringify({ id: 9, method: 'getRouterRtpCapabilities', data: {} }));
    expect(await answer).toMatchObject({ id: 9, ok: true });

    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/confero_rate_limited_total\{kind="ws_connection"\} 2\b/);
  });
});

describe('HTTP rate limit and security headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ HTTP_RATE_PER_MINUTE: '5' });
  });
  afterAll(() => server?.close());

  it('sends the page with a strict Content-Security-Policy and the usual security headers, without HSTS on plain HTTP', async () => {
    const response = await fetch(`${server.baseUrl}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!, values]),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.has('upgrade-insecure-requests')).toBe(false);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('answers 429 with a JSON error past the limit, page and deep links alike; monitoring is exempt', async () => {
    // The first test used 1 of the 5.
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.baseUrl}/`)).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/some/deep/link`)).status).toBe(200);
    for (const path of ['/', '/some/deep/link', '/nonexistent.js']) {
      const response = await fetch(`${server.baseUrl}${path}`);
      expect(response.status, path).toBe(429);
      expect(Number(response.headers.get('retry-after')), path).toBeGreaterThan(0);
      const body = (await response.json()) as { statusCode: number; code: string; message: string };
      expect(body).toMatchObject({ statusCode: 429, code: 'rate_limited', message: expect.stringMatching(/at most 5 a minute; retry in/) });
    }
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    }
    const metrics = await fetch(`${server.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/confero_rate_limited_total\{kind="http"\} 3\b/);
    // The signalling socket is governed by the WebSocket limits, not this one.
    const peer = await TestPeer.connect(server.wsUrl);
    expect((await peer.raw('getRouterRtpCapabilities', {})).ok).toBe(true);
    peer.close();
  });

  it('sends HSTS when serving HTTPS', async () => {
    const tlsServer = await startTestServer({ HTTPS_CERT: 'self-signed' });
    try {
      const base = tlsServer.baseUrl.replace('http://', 'https://');
      // The self-signed certificate is not what this test is about: accept it.
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        https
          .get(`${base}/healthz`, { rejectUnauthorized: false }, (response) => {
            response.resume();
            resolve(response.headers);
          })
          .on('error', reject);
      });
      expect(String(headers['strict-transport-security'])).toMatch(/max-age=\d+/);
      expect(String(headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    } finally {
      await tlsServer.close();
    }
  });
});
