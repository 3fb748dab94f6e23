/**
 * Rooms over their life: resources released on leave and on socket close, the empty-room grace period,
 * isolation between rooms, concurrent creation, the peer limit and a worker dying under a room.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '../../protocol/src';
import { useRoomFixture } from './helpers/room-fixture';
import { until } from '../../testkit/until';

const fixture = useRoomFixture({ MAX_PEERS_PER_ROOM: '20', MEDIASOUP_NUM_WORKERS: '2', EMPTY_ROOM_GRACE_MS: '300' }, 'life');
const { peer, freshRoom } = fixture;

describe('room lifecycle', () => {
  it('releases every mediasoup object of a peer on leave, and of the other on socket close', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const b = await peer(room, 'B');
    for (const p of [a, b]) {
      await p.createRecvTransport();
      await p.publish('mic');
      await p.publish('webcam');
    }
    await a.waitFor('newConsumer', () => true);
    await until(() => a.count('newConsumer') === 2 && b.count('newConsumer') === 2);
    const router = fixture.server.directory.get(room)!.router;
    let dump = await router.dump();
    expect(dump.transportIds).toHaveLength(4);
    expect(dump.mapProducerIdConsumerIds).toHaveLength(4);

    await a.request('leave', {});
    await b.waitFor('peerLeft', (d) => d.peerId === a.joined!.peerId);
    dump = await router.dump();
    expect(dump.transportIds).toHaveLength(2);
    expect(dump.mapProducerIdConsumerIds).toHaveLength(2);
    expect(dump.mapProducerIdConsumerIds.every((e) => e.values.length === 0)).toBe(true);
    await until(() => b.count('consumerClosed') === 2);

    b.close();
    await until(async () => router.closed || (await router.dump()).transportIds.length === 0);
    // Empty now: the room closes after its grace period and the router goes with it.
    await until(() => router.closed && fixture.server.directory.get(room) === undefined);
  });

  it('keeps an empty room through the grace period for a returning peer', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const router = fixture.server.directory.get(room)!.router;
    await a.request('leave', {});
    await a.join(room, 'A again');
    await sleep(500);
    expect(router.closed).toBe(false);
    expect(fixture.server.directory.get(room)!.router).toBe(router);
  });

  it('isolates rooms: no peers, producers or speaker events cross', async () => {
    const one = freshRoom();
    const two = freshRoom();
    const a = await peer(one, 'A');
    const b = await peer(two, 'B');
    await b.createRecvTransport();
    const c = await peer(one, 'C');
    await c.publish('mic');
    await a.createRecvTransport();
    await a.waitFor('newConsumer');
    await sleep(200);
    expect(b.notifications.filter((n) => n.method !== 'audioLevels' && n.method !== 'welcome')).toEqual([]);
    expect(b.count('welcome')).toBe(1);
    expect(fixture.server.directory.get(one)!.router.id).not.toBe(fixture.server.directory.get(two)!.router.id);
  });

  it('creates one room for 20 concurrent joins to a new name', async () => {
    const room = freshRoom();
    const crowd = await Promise.all(Array.from({ length: 20 }, () => peer()));
    await crowd[0]!.request('getRouterRtpCapabilities', {}); // its one-off router is not a room's
    // Count the routers created while the joins run (other tests' rooms may close meanwhile).
    let routersCreated = 0;
    const count = (): void => void routersCreated++;
    for (const slot of fixture.server.pool.slots) slot.worker.observer.on('newrouter', count);
    const answers = await Promise.all(crowd.map((p, i) => p.join(room, `P${i}`)));
    for (const slot of fixture.server.pool.slots) slot.worker.observer.off('newrouter', count);
    expect(new Set(answers.map((a) => a.peerId)).size).toBe(20);
    expect(fixture.server.directory.list().filter((r) => r.name === room)).toHaveLength(1);
    expect(fixture.server.directory.get(room)!.peers.size).toBe(20);
    expect(routersCreated).toBe(1);
    // The 21st is refused.
    const late = await peer();
    await expect(late.join(room, 'late')).rejects.toMatchObject({ code: 'room_full' });
  });

  it('spreads new rooms over the workers', async () => {
    // Start from idle workers: rooms of earlier tests close after their grace period.
    await until(() => fixture.server.directory.list().length === 0 && fixture.server.pool.slots.every((s) => s.routers === 0));
    const rooms = [freshRoom(), freshRoom()];
    for (const name of rooms) await peer(name, 'x');
    const workers = rooms.map((name) => fixture.server.directory.get(name)!.media.workerIndex);
    expect(new Set(workers).size).toBe(2);
  });

  it('closes rooms of a dead worker with roomClosed, and rejoining works on the replacement', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const oldPeerId = a.joined!.peerId;
    const slot = fixture.server.directory.get(room)!.media.slot;
    process.kill(slot.worker.pid, 'SIGKILL');
    await a.waitFor('roomClosed', (d) => d.reason === 'worker_died');
    expect(await a.raw('createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    await until(() => fixture.server.pool.slots.length === 2);
    const again = await a.join(room, 'A');
    expect(again.peerId).not.toBe(oldPeerId);
    expect(fixture.server.directory.get(room)!.router.closed).toBe(false);
    await a.createRecvTransport();
    await a.publish('mic');
  });

  it('greets every socket with welcome: the router capabilities getRouterRtpCapabilities answers, unasked', async () => {
    const ws = new WebSocket(fixture.server.wsUrl);
    const messages: { id?: number; method?: string; data?: unknown; ok?: boolean }[] = [];
    ws.on('message', (raw) => messages.push(JSON.parse(raw.toString())));
    try {
      await until(() => messages.length > 0);
      expect(messages[0]).toMatchObject({ method: 'welcome', data: { protocolVersion: PROTOCOL_VERSION } });
      ws.send(JSON.stringify({ id: 1, method: 'getRouterRtpCapabilities', data: {} }));
      await until(() => messages.some((m) => m.id === 1));
      const answer = messages.find((m) => m.id === 1) as { ok: true; data: { routerRtpCapabilities: unknown } };
      expect(answer.ok).toBe(true);
      expect((messages[0]!.data as { routerRtpCapabilities: unknown }).routerRtpCapabilities).toEqual(answer.data.routerRtpCapabilities);
      expect(messages.filter((m) => m.method === 'welcome')).toHaveLength(1);
    } finally {
      ws.close();
    }
  });
});
