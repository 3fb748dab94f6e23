/**
 * The admin API (/admin/v1) through a real server: Bearer tokens in LiveKit's format and their grants,
 * every endpoint's effect on real peers (notifications, sockets, mediasoup producers), the error shapes,
 * the OpenAPI document, and open mode (no AUTH_KEYS) refusing every call.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { buildApp } from '../src/app';
import { mintToken } from '../src/auth/mint';
import { WorkerPool } from '../src/media/worker-pool';
import { silentLog, testConfig } from '../../testkit/config';
import type { VideoGrant } from '../src/auth/grants';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { until } from '../../testkit/until';

const API_KEY = 'admin-test';
const API_SECRET = 'an-admin-test-secret-of-enough-length-42';

let server: TestServer;
let openServer: TestServer;
const peers: TestPeer[] = [];
let seq = 0;

beforeAll(async () => {
  server = await startTestServer({ AUTH_KEYS: `${API_KEY}:${API_SECRET}` });
  openServer = await startTestServer({});
});
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});
afterAll(async () => {
  await server?.close();
  await openServer?.close();
});

const freshRoom = (): string => `admin-${process.pid}-${++seq}`;

function token(video: VideoGrant, identity = 'admin', secret = API_SECRET): Promise<string> {
  return mintToken({ apiKey: API_KEY, apiSecret: secret, identity, video });
}
const adminOf = (room: string): Promise<string> => token({ roomAdmin: true, room });

/** A peer joined with a join token (none in open mode); `grants` add to roomJoin. */
async function joinPeer(room: string, identity: string, on: TestServer = server, grants: VideoGrant = {}): Promise<TestPeer> {
  const peer = await TestPeer.connect(on.wsUrl);
  peers.push(peer);
  const joinToken = on === server ? await token({ roomJoin: true, room, ...grants }, identity) : undefined;
  await peer.join(room, `${identity} name`, joinToken);
  return peer;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: string, path: string, options: { token?: string; body?: unknown; raw?: string; on?: TestServer } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined || options.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.raw ?? JSON.stringify(options.body);
  }
  const res = await fetch(`${(options.on ?? server).baseUrl}/admin/v1${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

function expectError(answer: Answer, status: number, code: string, message?: RegExp): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
  if (message) expect(answer.body.error.message).toMatch(message);
}

function serverProducer(room: string, peerId: string, producerId: string) {
  return server.directory.get(room)!.peers.get(peerId)!.producers.get(producerId)!.producer;
}

describe('admin API authentication', () => {
  it('answers 401 with a Bearer challenge without a token, and with invalid_token for a bad one', async () => {
    const none = await call('GET', '/rooms');
    expectError(none, 401, 'unauthorized', /Authorization/);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="confero-admin"');

    const garbage = await call('GET', '/rooms', { token: 'not.a.jwt-at-all' });
    expectError(garbage, 401, 'unauthorized', /malformed/);
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const forged = await token({ roomList: true }, 'admin', 'some-other-secret-that-is-long-enough!!');
    const wrongSecret = await call('GET', '/rooms', { token: forged });
    expectError(wrongSecret, 401, 'unauthorized', /signature/);
    expect(JSON.stringify(wrongSecret.body)).not.toContain(forged);

    const basic = await fetch(`${server.baseUrl}/admin/v1/rooms`, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(basic.status).toBe(401);
    expect(((await basic.json()) as Answer['body']).error.message).toMatch(/Bearer/);

    const expired = await mintToken({ apiKey: API_KEY, apiSecret: API_SECRET, identity: 'admin', video: { roomList: true }, ttlSeconds: -60 });
    expectError(await call('GET', '/rooms', { token: expired }), 401, 'unauthorized', /expired/);
  });

  it('authenticates before validating: a bad body without a token is still 401', async () => {
    const answer = await call('POST', '/rooms/x/peers/p/producers/q/mute', { raw: '{nope' });
    expectError(answer, 401, 'unauthorized');
  });

  it('answers 403 to a valid token without the grant', async () => {
    const room = freshRoom();
    await joinPeer(room, 'alice');
    const joinOnly = await token({ roomJoin: true, room });
    expectError(await call('GET', '/rooms', { token: joinOnly }), 403, 'forbidden', /roomList/);
    expectError(await call('GET', `/rooms/${room}`, { token: joinOnly }), 403, 'forbidden', /roomAdmin/);
    expectError(await call('DELETE', `/rooms/${room}`, { token: joinOnly }), 403, 'forbidden');
    // roomList lists, but does not administer.
    const lister = await token({ roomList: true });
    expectError(await call('GET', `/rooms/${room}`, { token: lister }), 403, 'forbidden', /roomAdmin/);
    // roomAdmin without a room administers nothing.
    const roomless = await token({ roomAdmin: true });
    expectError(await call('GET', `/rooms/${room}`, { token: roomless }), 403, 'forbidden', /no video\.room/);
    expect(server.directory.get(room)!.peers.size).toBe(1);
  });

  it('keeps roomAdmin of room A away from room B, even from learning whether B exists', async () => {
    const roomA = freshRoom();
    const roomB = freshRoom();
    await joinPeer(roomA, 'alice');
    const bob = await joinPeer(roomB, 'bob');
    const mic = await bob.publish('mic');
    const adminA = await adminOf(roomA);
    const bobId = bob.joined!.peerId;
    expectError(await call('GET', `/rooms/${roomB}`, { token: adminA }), 403, 'forbidden', new RegExp(`administers room "${roomA}"`));
    expectError(await call('GET', '/rooms/no-such-room', { token: adminA }), 403, 'forbidden');
    expectError(await call('DELETE', `/rooms/${roomB}/peers/${bobId}`, { token: adminA }), 403, 'forbidden');
    expectError(await call('POST', `/rooms/${roomB}/peers/${bobId}/producers/${mic.id}/mute`, { token: adminA, body: { muted: true } }), 403, 'forbidden');
    expectError(await call('DELETE', `/rooms/${roomB}`, { token: adminA }), 403, 'forbidden');
    // Room B is untouched.
    expect(bob.open).toBe(true);
    expect(serverProducer(roomB, bobId, mic.id).paused).toBe(false);
    expect(bob.count('removed') + bob.count('roomClosed') + bob.count('producerMuted')).toBe(0);
    expect(server.directory.get(roomB)?.closed).toBe(false);
  });
});

describe('admin API rooms', () => {
  it('lists rooms with their counts, worker and creation time (roomList)', async () => {
    const started = Date.now();
    const room = freshRoom();
    const other = freshRoom();
    const alice = await joinPeer(room, 'alice');
    const bob = await joinPeer(room, 'bob');
    await joinPeer(other, 'carol');
    await bob.createRecvTransport();
    await alice.publish('mic');
    await alice.publish('webcam');
    await until(() => bob.count('newConsumer') === 2);

    const answer = await call('GET', '/rooms', { token: await token({ roomList: true }) });
    expect(answer.status).toBe(200);
    const listed = answer.body.rooms.find((r: { name: string }) => r.name === room);
    const worker = server.pool.slots[0]!;
    expect(listed).toEqual({
      name: room,
      peers: 2,
      producers: 2,
      consumers: 2,
      worker: { index: worker.index, pid: worker.worker.pid },
      createdAt: expect.any(String),
    });
    const created = Date.parse(listed.createdAt);
    expect(created).toBeGreaterThanOrEqual(started - 1000);
    expect(created).toBeLessThanOrEqual(Date.now());
    expect(answer.body.rooms.find((r: { name: string }) => r.name === other)).toMatchObject({ peers: 1, producers: 0, consumers: 0 });
  });

  it('describes one room: peers with identity, name, producers and consumer counts, hidden ones too', async () => {
    const room = freshRoom();
    const alice = await joinPeer(room, 'alice');
    const bob = await joinPeer(room, 'bob');
    const monitor = await joinPeer(room, 'monitor', server, { hidden: true });
    await bob.createRecvTransport();
    const mic = await alice.publish('mic');
    const cam = await alice.publish('webcam');
    await until(() => bob.count('newConsumer') === 2);

    const answer = await call('GET', `/rooms/${room}`, { token: await adminOf(room) });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: room, producers: 2, consumers: 2 });
    const byId = new Map<string, any>(answer.body.peers.map((p: { id: string }) => [p.id, p])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(byId.size).toBe(3);
    const a = byId.get(alice.joined!.peerId);
    expect(a).toMatchObject({ identity: 'alice', displayName: 'alice name', hidden: false, consumers: 0 });
    expect(a.producers).toEqual(
      expect.arrayContaining([
        { id: mic.id, kind: 'audio', source: 'mic', paused: false },
        { id: cam.id, kind: 'video', source: 'webcam', paused: false },
      ]),
    );
    expect(byId.get(bob.joined!.peerId)).toMatchObject({ identity: 'bob', displayName: 'bob name', producers: [], consumers: 2 });
    // The others do not see the hidden peer; the admin does.
    expect(byId.get(monitor.joined!.peerId)).toMatchObject({ identity: 'monitor', hidden: true, producers: [] });
    expect(alice.count('peerJoined', (d) => d.peer.id === monitor.joined!.peerId)).toBe(0);
  });

  it('removes a peer: it is told removed_by_admin and its socket closes; the others see peerLeft', async () => {
    const room = freshRoom();
    const alice = await joinPeer(room, 'alice');
    const bob = await joinPeer(room, 'bob');
    await alice.publish('mic');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      alice.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const aliceId = alice.joined!.peerId;
    const admin = await adminOf(room);

    const answer = await call('DELETE', `/rooms/${room}/peers/${aliceId}`, { token: admin });
    expect(answer.status).toBe(204);
    expect(answer.body).toBeUndefined();
    expect(await alice.waitFor('removed')).toEqual({ reason: 'removed_by_admin' });
    expect(await closed).toEqual({ code: 4001, reason: 'removed_by_admin' });
    await bob.waitFor('peerLeft', (d) => d.peerId === aliceId);
    const detail = await call('GET', `/rooms/${room}`, { token: admin });
    expect(detail.body.peers.map((p: { id: string }) => p.id)).toEqual([bob.joined!.peerId]);
    expect(detail.body.producers).toBe(0);
    expectError(await call('DELETE', `/rooms/${room}/peers/${aliceId}`, { token: admin }), 404, 'not_found', /no peer/);
  });

  it('mutes and unmutes a producer on the server: the owner hears producerMuted, receivers consumerPaused/Resumed', async () => {
    const room = freshRoom();
    const alice = await joinPeer(room, 'alice');
    const bob = await joinPeer(room, 'bob');
    await bob.createRecvTransport();
    const mic = await alice.publish('mic');
    const { consumerId } = await bob.waitFor('newConsumer', (d) => d.producerId === mic.id);
    const aliceId = alice.joined!.peerId;
    const path = `/rooms/${room}/peers/${aliceId}/producers/${mic.id}/mute`;
    const admin = await adminOf(room);

    const muted = await call('POST', path, { token: admin, body: { muted: true } });
    expect(muted.status).toBe(200);
    expect(muted.body).toEqual({ producer: { id: mic.id, kind: 'audio', source: 'mic', paused: true } });
    expect(serverProducer(room, aliceId, mic.id).paused).toBe(true);
    expect(await alice.waitFor('producerMuted')).toEqual({ producerId: mic.id, muted: true });
    await bob.waitFor('consumerPaused', (d) => d.consumerId === consumerId);
    const detail = await call('GET', `/rooms/${room}`, { token: admin });
    expect(detail.body.peers.find((p: { id: string }) => p.id === aliceId).producers[0].paused).toBe(true);

    const unmuted = await call('POST', path, { token: admin, body: { muted: false } });
    expect(unmuted.status).toBe(200);
    expect(unmuted.body.producer.paused).toBe(false);
    expect(serverProducer(room, aliceId, mic.id).paused).toBe(false);
    await alice.waitFor('producerMuted', (d) => !d.muted);
    await bob.waitFor('consumerResumed', (d) => d.consumerId === consumerId);
    // In that order, once each.
    const order = bob.notifications.filter((n) => n.method === 'consumerPaused' || n.method === 'consumerResumed').map((n) => n.method);
    expect(order).toEqual(['consumerPaused', 'consumerResumed']);
    expect(alice.count('producerMuted')).toBe(2);
  });

  it('closes a room: every peer gets roomClosed closed_by_admin and the room leaves the list', async () => {
    const room = freshRoom();
    const alice = await joinPeer(room, 'alice');
    const bob = await joinPeer(room, 'bob');
    const router = server.directory.get(room)!.router;
    const admin = await adminOf(room);

    expect((await call('DELETE', `/rooms/${room}`, { token: admin })).status).toBe(204);
    for (const peer of [alice, bob]) expect(await peer.waitFor('roomClosed')).toEqual({ reason: 'closed_by_admin' });
    expect(router.closed).toBe(true);
    const list = await call('GET', '/rooms', { token: await token({ roomList: true }) });
    expect(list.body.rooms.map((r: { name: string }) => r.name)).not.toContain(room);
    expectError(await call('GET', `/rooms/${room}`, { token: admin }), 404, 'not_found');
    expectError(await call('DELETE', `/rooms/${room}`, { token: admin }), 404, 'not_found');
  });

  it('answers 404 for an unknown room, peer, producer or route', async () => {
    const room = freshRoom();
    const alice = await joinPeer(room, 'alice');
    const bob = await joinPeer(room, 'bob');
    const mic = await alice.publish('mic');
    const admin = await adminOf(room);
    const ghost = freshRoom();
    expectError(await call('GET', `/rooms/${ghost}`, { token: await adminOf(ghost) }), 404, 'not_found', /no room/);
    expectError(await call('DELETE', `/rooms/${room}/peers/nobody`, { token: admin }), 404, 'not_found', /no peer "nobody"/);
    expectError(
      await call('POST', `/rooms/${room}/peers/${alice.joined!.peerId}/producers/nothing/mute`, { token: admin, body: { muted: true } }),
      404,
      'not_found',
      /no producer/,
    );
    // Alice's producer under Bob's peer id: not Bob's.
    expectError(
      await call('POST', `/rooms/${room}/peers/${bob.joined!.peerId}/producers/${mic.id}/mute`, { token: admin, body: { muted: true } }),
      404,
      'not_found',
    );
    expect(alice.count('producerMuted')).toBe(0);
    expectError(await call('GET', '/nothing-here', { token: admin }), 404, 'not_found', /no admin route/);
  });

  it('answers 400 with the same error shape for bad params and bodies', async () => {
    const room = freshRoom();
    const alice = await joinPeer(room, 'alice');
    const mic = await alice.publish('mic');
    const admin = await adminOf(room);
    const path = `/rooms/${room}/peers/${alice.joined!.peerId}/producers/${mic.id}/mute`;
    expectError(await call('POST', path, { token: admin, body: { muted: 'yes' } }), 400, 'bad_request', /muted/);
    expectError(await call('POST', path, { token: admin, body: {} }), 400, 'bad_request', /muted/);
    // No coercion, no silently dropped fields: an admin action means exactly what it says.
    expectError(await call('POST', path, { token: admin, body: { muted: 'true' } }), 400, 'bad_request', /body\/muted/);
    expectError(await call('POST', path, { token: admin, body: { muted: 1 } }), 400, 'bad_request');
    expectError(await call('POST', path, { token: admin, body: { muted: true, extra: 1 } }), 400, 'bad_request', /extra/);
    expectError(await call('POST', path, { token: admin, raw: '{"muted":' }), 400, 'bad_request');
    expectError(await call('POST', path, { token: admin }), 400, 'bad_request');
    expectError(await call('GET', `/rooms/${'x'.repeat(65)}`, { token: admin }), 400, 'bad_request', /room/);
    expectError(await call('GET', '/rooms/bad%20name', { token: admin }), 400, 'bad_request', /room/);
    expect(serverProducer(room, alice.joined!.peerId, mic.id).paused).toBe(false);
    expect(alice.count('producerMuted')).toBe(0);
  });
});

describe('admin API description', () => {
  it('serves an OpenAPI document listing every admin path and nothing else', async () => {
    const res = await fetch(`${server.baseUrl}/admin/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { tags: string[] }>>; components: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/admin/v1/rooms',
      '/admin/v1/rooms/{room}',
      '/admin/v1/rooms/{room}/peers/{peerId}',
      '/admin/v1/rooms/{room}/peers/{peerId}/producers/{producerId}/mute',
    ]);
    expect(Object.keys(doc.paths['/admin/v1/rooms/{room}']!).sort()).toEqual(['delete', 'get']);
    expect(doc.paths['/admin/v1/rooms/{room}/peers/{peerId}/producers/{producerId}/mute']!.post!.tags).toEqual(['admin']);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('leaves the other routes working: /ws signalling, /healthz, /metrics, the page', async () => {
    const peer = await joinPeer(freshRoom(), 'dave');
    expect(peer.joined!.peerId).toEqual(expect.any(String));
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(200);
    const page = await fetch(`${server.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});

describe('admin API in open mode (no AUTH_KEYS)', () => {
  it('refuses every call with 403 naming AUTH_KEYS, whatever the token; joins and the document still work', async () => {
    const room = freshRoom();
    const alice = await joinPeer(room, 'alice', openServer);
    const anyToken = await token({ roomAdmin: true, roomList: true, room });
    for (const options of [{}, { token: anyToken }]) {
      expectError(await call('GET', '/rooms', { ...options, on: openServer }), 403, 'forbidden', /AUTH_KEYS/);
      expectError(await call('DELETE', `/rooms/${room}`, { ...options, on: openServer }), 403, 'forbidden', /AUTH_KEYS/);
    }
    expect(openServer.directory.get(room)?.closed).toBe(false);
    expect(alice.count('roomClosed')).toBe(0);
    expect((await fetch(`${openServer.baseUrl}/admin/v1/openapi.json`)).status).toBe(200);
  });
});

describe('admin API logs', () => {
  it('records who did what, and never the token or the secret', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const config = testConfig({ AUTH_KEYS: `${API_KEY}:${API_SECRET}` });
    const pool = await WorkerPool.create(config.media, silentLog);
    const { app } = await buildApp({ config, log, pool });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const room = freshRoom();
      const alice = await TestPeer.connect(`${base.replace('http', 'ws')}/ws`);
      peers.push(alice);
      await alice.join(room, 'alice', await token({ roomJoin: true, room }, 'alice'));
      const admin = await token({ roomAdmin: true, room }, 'the-boss');
      const forged = await token({ roomAdmin: true, room }, 'mallory', 'a-forged-secret-that-is-long-enough-0000');
      const url = `${base}/admin/v1/rooms/${room}/peers/${alice.joined!.peerId}`;
      expect((await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
      expect((await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } })).status).toBe(204);
      await alice.waitFor('removed');

      const audit = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'admin removed peer');
      expect(audit).toMatchObject({ admin: 'the-boss', apiKey: API_KEY, room, peer: alice.joined!.peerId });
      const everything = lines.join('\n');
      for (const secret of [admin, forged, API_SECRET, admin.split('.')[2]!]) expect(everything).not.toContain(secret);
    } finally {
      await app.close();
      await pool.close();
    }
  });
});
