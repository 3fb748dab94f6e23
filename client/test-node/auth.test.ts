/**
 * The client library on a server with AUTH_KEYS: it joins with its token, a refused token fails join()
 * without retries, and a session removed because its identity joined elsewhere ends (state 'closed',
 * an `ended` event) instead of reconnecting and taking the seat back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../../testkit/server';
import { AUTH_ENV, tokenFor } from '../../testkit/tokens';
import { nextEvent, ProtocolError, type ConferenceSession, type ConnectionState } from '../src/lib';
import { createFakeSession, fakeTrack } from './fake-session';

let server: TestServer;
const sessions: ConferenceSession[] = [];

beforeAll(async () => {
  server = await startTestServer(AUTH_ENV);
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.leave()));
  await server?.close();
});

function session(room: string, name: string, token: string | undefined): ConferenceSession {
  const s = createFakeSession(server.wsUrl, room, name, { ...(token !== undefined ? { token } : {}), enableDataChannels: false });
  sessions.push(s);
  return s;
}

describe('ConferenceSession with access tokens', () => {
  it('joins with its token; without one join() fails with unauthorized and is not retried', async () => {
    const room = `lib-auth-${process.pid}-1`;
    const ok = session(room, 'Ok', await tokenFor(room, 'ok'));
    await ok.join();
    expect(ok.connectionState).toBe('connected');

    for (const token of [undefined, 'not-a-token', await tokenFor('another-room', 'x')]) {
      const refused = session(room, 'Refused', token);
      const states: ConnectionState[] = [];
      refused.on('connectionState', (s) => states.push(s));
      const error = await refused.join().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe('unauthorized');
      expect(states).toEqual(['connecting', 'closed']);
    }
    await sleep(600); // a retry would have started (first backoff 250 ms) and joined the room
    expect(server.directory.get(room)!.peers.size).toBe(1);
  });

  it('ends with `ended: duplicate_identity` when the same identity joins elsewhere, and does not come back', async () => {
    const room = `lib-auth-${process.pid}-2`;
    const token = await tokenFor(room, 'dana');
    const first = session(room, 'Dana (laptop)', token);
    await first.join();
    const ended = nextEvent(first, 'ended');
    const states: ConnectionState[] = [];
    first.on('connectionState', (s) => states.push(s));

    const second = session(room, 'Dana (phone)', token);
    await second.join();
    expect(await ended).toEqual({ reason: 'duplicate_identity' });
    expect(first.connectionState).toBe('closed');
    expect(states).toEqual(['closed']);

    await sleep(800); // a reconnecting first session would kick the second within this
    expect(second.connectionState).toBe('connected');
    expect(first.connectionState).toBe('closed');
    const peers = [...server.directory.get(room)!.peers.values()];
    expect(peers.map((p) => p.id)).toEqual([second.peerId]);
  });

  it('a viewer token (no publish grants) joins and receives; publishing says which grant is missing', async () => {
    const room = `lib-auth-${process.pid}-3`;
    const speaker = session(room, 'Speaker', await tokenFor(room, 'speaker'));
    await speaker.join();
    await speaker.publish(fakeTrack('audio'), { source: 'mic' });
    const viewer = session(room, 'Viewer', await tokenFor(room, 'viewer', { video: { canPublish: false, canPublishData: false } }));
    const track = nextEvent(viewer, 'track');
    await viewer.join();
    expect((await track).peerId).toBe(speaker.peerId);
    const refused = await viewer.publish(fakeTrack('audio'), { source: 'mic' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ProtocolError);
    expect((refused as ProtocolError).message).toMatch(/does not grant canPublish: no send transport/);
    expect(viewer.connectionState).toBe('connected');
  });

  it('a publish-only token (no canSubscribe) joins and publishes; the others receive it', async () => {
    const room = `lib-auth-${process.pid}-4`;
    const listener = session(room, 'Listener', await tokenFor(room, 'listener'));
    await listener.join();
    const camera = session(room, 'Camera', await tokenFor(room, 'camera', { video: { canSubscribe: false, canPublishSources: ['camera'] } }));
    await camera.join();
    const track = nextEvent(listener, 'track');
    await camera.publish(fakeTrack('video'), { source: 'webcam', simulcast: false });
    expect(await track).toMatchObject({ peerId: camera.peerId, source: 'webcam' });
    await expect(camera.publish(fakeTrack('audio'), { source: 'mic' })).rejects.toThrow(/canPublishSources: camera/);
  });
});
