/**
 * A worker SIGKILLed under a room: its peers are told at once, the dead room is out of the directory by
 * then, a rejoin is answered at once by a new room on a live worker (not the dead one, not waiting for
 * the replacement), media flows there, and the dead worker is replaced on its own ports. With a single
 * worker, a rejoin waits for the replacement instead of being refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { until } from '../../testkit/until';

/** A peer that has joined `room`, publishes mic and webcam, and receives. */
async function publishingPeer(server: TestServer, room: string, name: string): Promise<TestPeer> {
  const peer = await TestPeer.connect(server.wsUrl);
  await peer.join(room, name);
  await peer.createRecvTransport();
  await peer.publish('mic');
  await peer.publish('webcam');
  return peer;
}

describe('a worker killed under a room (two workers)', () => {
  let server: TestServer;
  const peers: TestPeer[] = [];
  beforeAll(async () => {
    server = await startTestServer({ MEDIASOUP_NUM_WORKERS: '2', EMPTY_ROOM_GRACE_MS: '300' });
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await server?.close();
  });

  it('tells the peers, and their immediate rejoins get a room on the live worker while the dead one is replaced', async () => {
    const room = `crash-${process.pid}`;
    peers.push(await publishingPeer(server, room, 'A'), await publishingPeer(server, room, 'B'));
    const [a, b] = peers as [TestPeer, TestPeer];
    await until(() => a.count('newConsumer') === 2 && b.count('newConsumer') === 2);
    const dead = server.directory.get(room)!.media.slot;
    const deadPid = dead.worker.pid;
    const survivor = server.pool.slots.find((slot) => slot !== dead)!;

    process.kill(deadPid, 'SIGKILL');
    const directoryAtNotice: unknown[] = [];
    await Promise.all(
      [a, b].map((p) =>
        p.waitFor('roomClosed', (d) => {
          if (d.reason !== 'worker_died') return false;
          directoryAtNotice.push(server.directory.get(room));
          return true;
        }),
      ),
    );
    // The dead room left the directory before anyone could rejoin it.
    expect(directoryAtNotice).toEqual([undefined, undefined]);

    // Rejoin at once, as the client does after worker_died: new sockets, no waiting for the pool. The
    // replacement needs its respawn delay (0.2 s) and a start, so these joins land before it is up.
    const again = await Promise.all([TestPeer.connect(server.wsUrl), TestPeer.connect(server.wsUrl)]);
    peers.push(...again);
    const [a2, b2] = again as [TestPeer, TestPeer];
    await Promise.all([a2.join(room, 'A'), b2.join(room, 'B')]);
    const fresh = server.directory.get(room)!;
    expect(fresh.closed).toBe(false);
    expect(fresh.peers.size).toBe(2);
    expect(fresh.media.slot.worker.pid).not.toBe(deadPid);
    expect(fresh.media.slot).toBe(survivor);
    // Each new peer gets the other's mic and webcam on the new router.
    for (const p of again) {
      await p.createRecvTransport();
      await p.publish('mic');
      await p.publish('webcam');
    }
    await until(() => a2.count('newConsumer') === 2 && b2.count('newConsumer') === 2);
    expect((await fresh.router.dump()).mapProducerIdConsumerIds.flatMap((e) => e.values)).toHaveLength(4);

    // The dead worker is replaced in its slot, on the same ports (the ones mediasoup chose for the first).
    await until(() => server.pool.slots.length === 2 && server.pool.slots.some((s) => s.index === dead.index && s.worker.pid !== deadPid), {
      timeoutMs: 10_000,
      what: 'the dead worker is replaced',
    });
    const replacement = server.pool.slots.find((s) => s.index === dead.index)!;
    expect(replacement.worker.died).toBe(false);
    const dump = await replacement.webRtcServer.dump();
    expect({ udp: dump.udpSockets[0]!.port, tcp: dump.tcpServers[0]!.port }).toEqual({ udp: dead.ports[0]!.udp, tcp: dead.ports[0]!.tcp });
  });
});

describe('a worker killed under a room (one worker)', () => {
  let server: TestServer;
  const peers: TestPeer[] = [];
  beforeAll(async () => {
    server = await startTestServer({ MEDIASOUP_NUM_WORKERS: '1' });
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await server?.close();
  });

  it('answers a rejoin sent before the replacement is up once the replacement is up, instead of refusing it', async () => {
    const room = `crash-one-${process.pid}`;
    const a = await TestPeer.connect(server.wsUrl);
    peers.push(a);
    await a.join(room, 'A');
    const deadPid = server.directory.get(room)!.media.slot.worker.pid;
    process.kill(deadPid, 'SIGKILL');
    await a.waitFor('roomClosed', (d) => d.reason === 'worker_died');
    expect(server.pool.live()).toHaveLength(0);

    const rejoined = await a.join(room, 'A');
    expect(rejoined.room).toBe(room);
    const slot = server.directory.get(room)!.media.slot;
    expect(slot.worker.pid).not.toBe(deadPid);
    expect(slot.worker.died).toBe(false);
    await a.createRecvTransport();
    await a.publish('mic');
  });
});
