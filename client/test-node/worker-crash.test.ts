/**
 * The client library after the room's worker dies: the rejoin policy (first attempt at once after
 * worker_died, backoff otherwise and after a failed first attempt) and, against a real two-worker server,
 * sessions that rejoin and re-publish on the live worker by themselves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../testkit/server';
import type { ConferenceSession } from '../src/lib';
import { DEFAULT_BACKOFF, rejoinDelay } from '../src/lib/recovery';
import { createFakeSession, fakeTrack } from './fake-session';
import { until } from '../../testkit/until';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('rejoin delays', () => {
  const { initialMs, jitter } = DEFAULT_BACKOFF;

  it('rejoins at once after a worker death, then backs off from the second attempt', () => {
    expect(rejoinDelay(1, 'worker_died')).toBe(0);
    for (let i = 0; i < 50; i++) {
      const second = rejoinDelay(2, 'worker_died');
      expect(second).toBeGreaterThanOrEqual(2 * initialMs * (1 - jitter));
      expect(second).toBeLessThanOrEqual(2 * initialMs * (1 + jitter));
    }
  });

  it('backs off from the first attempt after a lost connection (and a shutdown)', () => {
    for (let i = 0; i < 50; i++) {
      const first = rejoinDelay(1, 'lost');
      expect(first).toBeGreaterThanOrEqual(initialMs * (1 - jitter));
      expect(first).toBeLessThanOrEqual(initialMs * (1 + jitter));
    }
  });
});

describe('ConferenceSession when the room worker is killed', () => {
  it('rejoins and re-publishes on the live worker; each sees the other again', { timeout: 60_000 }, async () => {
    const server = await startTestServer({ MEDIASOUP_NUM_WORKERS: '2' });
    cleanup.push(() => server.close());
    const room = `lib-crash-${process.pid}`;
    const sessions: ConferenceSession[] = [];
    for (const name of ['Alice', 'Bob']) {
      const s = createFakeSession(server.wsUrl, room, name);
      cleanup.push(() => s.leave());
      await s.join();
      await s.publish(fakeTrack('audio'), { source: 'mic' });
      sessions.push(s);
    }
    const [alice, bob] = sessions as [ConferenceSession, ConferenceSession];
    await until(() => alice.remoteTracks.length === 1 && bob.remoteTracks.length === 1, { timeoutMs: 10_000, what: 'both hear the other' });
    const oldIds = [alice.peerId, bob.peerId];
    const errors: string[] = [];
    const gaps: number[] = [];
    for (const s of sessions) {
      s.on('error', ({ context, error }) => errors.push(`${s.displayName} ${context}: ${error.message}`));
      let closedAt = 0;
      s.on('notification', (n) => {
        if (n.method === 'roomClosed') closedAt = Date.now();
      });
      s.on('joined', () => gaps.push(Date.now() - closedAt));
    }
    const dead = server.directory.get(room)!.media.slot;
    process.kill(dead.worker.pid, 'SIGKILL');

    await until(() => sessions.every((s) => s.connectionState === 'connected' && !oldIds.includes(s.peerId)) && gaps.length === 2, {
      timeoutMs: 10_000,
      what: () => `both rejoined (errors: ${errors.join(' | ')})`,
    });
    const fresh = server.directory.get(room)!;
    expect(fresh.media.slot.index).not.toBe(dead.index);
    await until(() => alice.remoteTracks.some((t) => t.peerId === bob.peerId) && bob.remoteTracks.some((t) => t.peerId === alice.peerId), {
      timeoutMs: 10_000,
      what: 'each hears the other again',
    });
    // The server holds both re-published mics on the new router.
    expect([...fresh.peers.values()].map((p) => p.producers.size)).toEqual([1, 1]);
    console.log(`roomClosed → joined again: ${gaps.join(', ')} ms`);
  });
});
