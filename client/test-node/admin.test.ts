/**
 * The client library under the admin API, against a real server with AUTH_KEYS (mediasoup-client's fake
 * handler): an admin's mute is followed locally and reported, an admin's unmute never opens a source we
 * muted ourselves, and a room closed by an admin ends the session without a reconnection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../../testkit/server';
import { mintToken } from '../../server/src/auth/mint';
import type { VideoGrant } from '../../server/src/auth/grants';
import { nextEvent, type ConferenceSession, type SessionEvents } from '../src/lib';
import { createFakeSession, fakeTrack } from './fake-session';
import { until } from '../../testkit/until';

const API_KEY = 'lib-admin';
const API_SECRET = 'a-secret-for-the-library-admin-test-0123';

let server: TestServer;
const cleanup: (() => Promise<void> | void)[] = [];
let seq = 0;

beforeAll(async () => {
  server = await startTestServer({ AUTH_KEYS: `${API_KEY}:${API_SECRET}` });
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(() => server?.close());

const token = (identity: string, video: VideoGrant): Promise<string> => mintToken({ apiKey: API_KEY, apiSecret: API_SECRET, identity, video });

async function joined(room: string, name: string): Promise<ConferenceSession> {
  const session = createFakeSession(server.wsUrl, room, name, { token: await token(name, { roomJoin: true, room }) });
  cleanup.push(() => session.leave());
  await session.join();
  return session;
}

async function admin(method: string, path: string, room: string, body?: unknown): Promise<number> {
  const res = await fetch(`${server.baseUrl}/admin/v1/rooms/${room}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await token('admin', { roomAdmin: true, room })}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status;
}

const serverProducer = (room: string, peerId: string, producerId: string) => server.directory.get(room)!.peers.get(peerId)!.producers.get(producerId)!.producer;
const micOf = (session: ConferenceSession) => session.publications.find((p) => p.source === 'mic')!;

describe('ConferenceSession and the admin API', () => {
  it("follows an admin's mute and unmute of its mic, and the others see the track muted", async () => {
    const room = `lib-admin-${++seq}`;
    const alice = await joined(room, 'alice');
    const producer = await alice.publish(fakeTrack('audio'), { source: 'mic' });
    const bob = await joined(room, 'bob');
    await until(() => bob.remoteTracks.length === 1);
    const events: SessionEvents['adminMuted'][] = [];
    alice.on('adminMuted', (e) => events.push(e));

    const bobSees = nextEvent(bob, 'trackMuted');
    expect(await admin('POST', `/peers/${alice.peerId}/producers/${producer.id}/mute`, room, { muted: true })).toBe(200);
    await until(() => events.length === 1);
    expect(events[0]).toEqual({ source: 'mic', muted: true });
    expect(micOf(alice).muted).toBe(true);
    expect(producer.paused).toBe(true);
    expect(await bobSees).toMatchObject({ peerId: alice.peerId, muted: true });

    expect(await admin('POST', `/peers/${alice.peerId}/producers/${producer.id}/mute`, room, { muted: false })).toBe(200);
    await until(() => events.length === 2);
    expect(events[1]).toEqual({ source: 'mic', muted: false });
    expect(micOf(alice).muted).toBe(false);
    expect(producer.paused).toBe(false);
    expect(serverProducer(room, alice.peerId!, producer.id).paused).toBe(false);
  });

  it('keeps a source we muted ourselves muted when an admin unmutes it (and pauses it on the server again)', async () => {
    const room = `lib-admin-${++seq}`;
    const alice = await joined(room, 'alice');
    const producer = await alice.publish(fakeTrack('audio'), { source: 'mic' });
    await alice.setMuted('mic', true);
    const onServer = serverProducer(room, alice.peerId!, producer.id);
    expect(onServer.paused).toBe(true);
    const events: unknown[] = [];
    alice.on('adminMuted', (e) => events.push(e));
    const resumed = new Promise<void>((resolve) => onServer.observer.once('resume', () => resolve()));
    const pausedAgain = new Promise<void>((resolve) => resumed.then(() => onServer.observer.once('pause', () => resolve())));

    expect(await admin('POST', `/peers/${alice.peerId}/producers/${producer.id}/mute`, room, { muted: false })).toBe(200);
    await resumed;
    await pausedAgain;
    expect(onServer.paused).toBe(true);
    expect(micOf(alice).muted).toBe(true);
    expect(producer.paused).toBe(true);
    expect(events).toEqual([]);
  });

  it('ends without reconnecting when an admin closes the room', async () => {
    const room = `lib-admin-${++seq}`;
    const alice = await joined(room, 'alice');
    await alice.publish(fakeTrack('audio'), { source: 'mic' });
    const states: string[] = [];
    alice.on('connectionState', (s) => states.push(s));
    const ended = nextEvent(alice, 'ended');

    expect(await admin('DELETE', '', room)).toBe(204);
    expect(await ended).toEqual({ reason: 'closed_by_admin' });
    expect(alice.connectionState).toBe('closed');
    expect(alice.publications).toEqual([]);
    // Longer than the first reconnection backoff: nobody came back to open the room again.
    await sleep(1_500);
    expect(states).toEqual(['closed']);
    expect(server.directory.get(room)).toBeUndefined();
  });
});
