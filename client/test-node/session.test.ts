/**
 * The client library against a real server and worker, from Node (mediasoup-client's fake handler):
 * join, auto-consume, mute state, and recovery after the server restarts on the same port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testkit/server';
import { nextEvent, type ConferenceSession, type RemoteTrack } from '../src/lib';
import { createFakeSession, fakeTrack } from './fake-session';
import { until } from '../../testkit/until';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function session(server: TestServer, name: string): ConferenceSession {
  const s = createFakeSession(server.wsUrl, 'lib-room', name);
  cleanup.push(() => s.leave());
  return s;
}

describe('ConferenceSession against a real server', () => {
  it('joins, auto-consumes remote tracks and follows their mute state', async () => {
    const server = await startTestServer({});
    cleanup.push(() => server.close());
    const alice = session(server, 'Alice');
    const bob = session(server, 'Bob');
    await alice.join();
    await alice.publish(fakeTrack('audio'), { source: 'mic' });
    await alice.publish(fakeTrack('video'), { source: 'webcam' });
    const tracks: RemoteTrack[] = [];
    bob.on('track', (t) => tracks.push(t));
    await bob.join();
    await until(() => tracks.length === 2, { timeoutMs: 10_000 });
    expect(tracks.map((t) => t.source).sort()).toEqual(['mic', 'webcam']);
    expect(tracks.every((t) => t.peerId === alice.peerId)).toBe(true);
    expect(bob.peers.map((p) => p.displayName)).toEqual(['Alice']);

    const muted = nextEvent(bob, 'trackMuted');
    await alice.setMuted('webcam', true);
    expect(await muted).toMatchObject({ peerId: alice.peerId, muted: true });
  });

  it('reconnects and re-publishes after the server restarts', { timeout: 60_000 }, async () => {
    let server = await startTestServer({});
    const port = Number(new URL(server.baseUrl).port);
    cleanup.push(() => server.close());
    const alice = session(server, 'Alice');
    const bob = session(server, 'Bob');
    await alice.join();
    await alice.publish(fakeTrack('audio'), { source: 'mic' });
    await bob.join();
    await until(() => bob.remoteTracks.length === 1, { timeoutMs: 10_000 });

    const states: string[] = [];
    const errors: string[] = [];
    for (const s of [alice, bob]) {
      s.on('connectionState', (state) => states.push(`${s.displayName}:${state}`));
      s.on('error', ({ context, error }) => errors.push(`${s.displayName} ${context}: ${error.message}`));
    }
    await server.close();
    server = await startTestServer({}, { httpPort: port });
    // Reconnection backs off up to 5 s between attempts, so allow a few attempts on a loaded machine.
    await until(() => states.includes('Bob:reconnecting') && bob.connectionState === 'connected' && alice.connectionState === 'connected', {
      timeoutMs: 25_000,
      what: () => `Bob reconnected: states ${states.join(' ')}; errors ${errors.join(' | ')}`,
    });
    await until(() => bob.remoteTracks.length === 1 && bob.remoteTracks[0]!.peerId === alice.peerId, { timeoutMs: 10_000 });
  });
});
