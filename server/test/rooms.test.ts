/**
 * The SFU core through the real path: a real server and worker, peers speaking the protocol over /ws with
 * mediasoup-client (fake handler) producing real parameters.
 */
import { describe, expect, it } from 'vitest';
import { useRoomFixture } from './helpers/room-fixture';

const fixture = useRoomFixture({ MAX_PEERS_PER_ROOM: '25', MAX_PRODUCERS_PER_PEER: '3' }, 'room');
const { peer, freshRoom } = fixture;

describe('join', () => {
  it('answers with peer id, router capabilities, current peers, ICE servers and limits', async () => {
    const room = freshRoom();
    const alice = await peer(room, 'Alice');
    expect(alice.joined!.peerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(alice.joined!.peers).toEqual([]);
    expect(alice.joined!.iceServers).toEqual([]);
    expect(alice.joined!.limits).toEqual({ maxPeersPerRoom: 25, maxProducersPerPeer: 3, maxMessageBytes: 65536 });
    const mimes = alice.joined!.routerRtpCapabilities.codecs!.map((c) => c.mimeType.toLowerCase());
    expect(mimes).toEqual(expect.arrayContaining(['audio/opus', 'video/vp8', 'video/vp9', 'video/h264']));

    await alice.publish('mic');
    const bob = await peer(room, 'Bob');
    expect(bob.joined!.peers).toEqual([
      {
        id: alice.joined!.peerId,
        identity: alice.joined!.peerId,
        displayName: 'Alice',
        producers: [expect.objectContaining({ kind: 'audio', source: 'mic', paused: false })],
      },
    ]);
    const joinedNote = await alice.waitFor('peerJoined');
    expect(joinedNote.peer).toMatchObject({ id: bob.joined!.peerId, displayName: 'Bob' });
  });

  it('refuses a wrong protocol version, a second join, and room methods before join', async () => {
    const p = await peer();
    const early = await p.raw('createTransport', { direction: 'send' });
    expect(early).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    const wrong = await p.raw('join', { protocolVersion: 99, room: 'x', displayName: 'x', rtpCapabilities: {} });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'version_mismatch' } });
    await p.join(freshRoom(), 'P');
    const again = await p.raw('join', { protocolVersion: 1, room: 'y', displayName: 'x', rtpCapabilities: {} });
    expect(again).toMatchObject({ ok: false, error: { code: 'already_joined' } });
  });
});

describe('media routing', () => {
  it('three peers see each other’s producers as paused consumers', async () => {
    const room = freshRoom();
    const trio = [await peer(room, 'A'), await peer(room, 'B'), await peer(room, 'C')];
    for (const p of trio) await p.createRecvTransport();
    const produced = new Map<string, string[]>();
    for (const p of trio) {
      const mic = await p.publish('mic');
      const cam = await p.publish('webcam');
      produced.set(p.joined!.peerId, [mic.id, cam.id]);
    }
    for (const p of trio) {
      const others = trio.filter((o) => o !== p).flatMap((o) => produced.get(o.joined!.peerId)!);
      for (const producerId of others) {
        const note = await p.waitFor('newConsumer', (d) => d.producerId === producerId);
        expect(note.peerId).not.toBe(p.joined!.peerId);
        expect(['mic', 'webcam']).toContain(note.source);
        if (note.source === 'webcam') expect(note.type).toBe('simulcast');
        // The client consumes locally, then resumes: the server accepts the resume of its own consumer.
        await p.recvTransport!.consume({ id: note.consumerId, producerId, kind: note.kind, rtpParameters: note.rtpParameters });
        await p.request('resumeConsumer', { consumerId: note.consumerId });
      }
      expect(p.count('newConsumer')).toBe(4);
    }
  });

  it('consumes what was published before the receive transport existed', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const cam = await a.publish('webcam', false);
    const b = await peer(room, 'B');
    await b.createRecvTransport();
    const note = await b.waitFor('newConsumer', (d) => d.producerId === cam.id);
    expect(note.type).toBe('simple');
  });

  it('tells consumers when the producer is paused, resumed and closed', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const b = await peer(room, 'B');
    await b.createRecvTransport();
    const cam = await a.publish('webcam');
    const { consumerId } = await b.waitFor('newConsumer', (d) => d.producerId === cam.id);
    await a.request('pauseProducer', { producerId: cam.id });
    await b.waitFor('consumerPaused', (d) => d.consumerId === consumerId);
    await a.request('resumeProducer', { producerId: cam.id });
    await b.waitFor('consumerResumed', (d) => d.consumerId === consumerId);
    await a.request('closeProducer', { producerId: cam.id });
    await b.waitFor('consumerClosed', (d) => d.consumerId === consumerId);
  });

  it('sets preferred layers on a simulcast consumer and priority, and refuses layers on a simple one', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const b = await peer(room, 'B');
    await b.createRecvTransport();
    const cam = await a.publish('webcam');
    const mic = await a.publish('mic');
    const video = await b.waitFor('newConsumer', (d) => d.producerId === cam.id);
    const audio = await b.waitFor('newConsumer', (d) => d.producerId === mic.id);
    await b.request('setPreferredLayers', { consumerId: video.consumerId, spatialLayer: 1, temporalLayer: 0 });
    await b.request('setConsumerPriority', { consumerId: video.consumerId, priority: 2 });
    const router = fixture.server.directory.get(room)!.router;
    const dump = await router.dump();
    expect(dump.mapProducerIdConsumerIds.find((e) => e.key === cam.id)!.values).toContain(video.consumerId);
    const bad = await b.raw('setPreferredLayers', { consumerId: audio.consumerId, spatialLayer: 1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('forwards VP9 SVC (L3T3) as an svc consumer with preferred layers', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const b = await peer(room, 'B');
    await b.createRecvTransport();
    const transport = await a.createSendTransport();
    const vp9 = a.device.rtpCapabilities.codecs!.find((c) => c.mimeType.toLowerCase() === 'video/vp9');
    expect(vp9).toBeDefined();
    const { FakeMediaStreamTrack } = await import('fake-mediastreamtrack');
    const svc = await transport.produce({
      track: new FakeMediaStreamTrack({ kind: 'video' }),
      codec: vp9,
      encodings: [{ scalabilityMode: 'L3T3' }],
      appData: { source: 'webcam' },
    });
    const note = await b.waitFor('newConsumer', (d) => d.producerId === svc.id);
    expect(note.type).toBe('svc');
    expect(note.rtpParameters.codecs[0]!.mimeType.toLowerCase()).toBe('video/vp9');
    expect(note.rtpParameters.encodings![0]!.scalabilityMode).toMatch(/^L3T3/);
    await b.request('setPreferredLayers', { consumerId: note.consumerId, spatialLayer: 2, temporalLayer: 2 });
  });

  it('caps what a peer may send with MAX_INCOMING_BITRATE on its send transport', async () => {
    const a = await peer(freshRoom(), 'A');
    const send = await a.createSendTransport();
    const recv = await a.createRecvTransport();
    const [sendStats] = (await a.request('getStats', { id: send.id })).stats as { maxIncomingBitrate?: number }[];
    const [recvStats] = (await a.request('getStats', { id: recv.id })).stats as { maxIncomingBitrate?: number }[];
    expect(sendStats!.maxIncomingBitrate).toBe(fixture.server.config.rooms.maxIncomingBitrate);
    expect(recvStats!.maxIncomingBitrate ?? 0).toBe(0);
  });

  it('restarts ICE with fresh credentials', async () => {
    const a = await peer(freshRoom(), 'A');
    const transport = await a.createRecvTransport();
    const info = await a.request('getStats', { id: transport.id });
    expect(info.stats.length).toBeGreaterThan(0);
    const first = await a.request('restartIce', { transportId: transport.id });
    const second = await a.request('restartIce', { transportId: transport.id });
    expect(first.iceParameters.usernameFragment).not.toBe(second.iceParameters.usernameFragment);
    await transport.restartIce({ iceParameters: second.iceParameters });
  });

  it('relays chat over DataChannels', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const b = await peer(room, 'B');
    await b.createRecvTransport();
    const sendTransport = await a.createSendTransport();
    sendTransport.on('producedata', ({ sctpStreamParameters, label, protocol }, ok, fail) =>
      a
        .request('produceData', { transportId: sendTransport.id, sctpStreamParameters, label, protocol })
        .then(({ dataProducerId }) => ok({ id: dataProducerId }), fail),
    );
    const chat = await sendTransport.produceData({ label: 'chat', ordered: true });
    const note = await b.waitFor('newDataConsumer', (d) => d.dataProducerId === chat.id);
    expect(note).toMatchObject({ label: 'chat', peerId: a.joined!.peerId });
  });

  it('enforces the producer limit per peer', async () => {
    const a = await peer(freshRoom(), 'A');
    await a.publish('mic');
    await a.publish('webcam');
    await a.publish('screen', false);
    await expect(a.publish('mic')).rejects.toThrow(/at most 3 producers/);
  });
});

describe('ownership', () => {
  it('refuses another peer’s objects with forbidden and unknown ids with not_found', async () => {
    const room = freshRoom();
    const a = await peer(room, 'A');
    const b = await peer(room, 'B');
    await a.createRecvTransport();
    await b.createRecvTransport();
    const mic = await a.publish('mic');
    const aConsumer = await a.waitFor('newConsumer', () => true, 300).catch(() => undefined);
    expect(aConsumer).toBeUndefined(); // nobody else publishes: a has nothing to consume
    const bConsumer = await b.waitFor('newConsumer', (d) => d.producerId === mic.id);
    const aTransport = a.sendTransport!.id;

    const attempts: [string, unknown][] = [
      ['pauseProducer', { producerId: mic.id }],
      ['closeProducer', { producerId: mic.id }],
      ['connectTransport', { transportId: aTransport, dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] } }],
      ['restartIce', { transportId: aTransport }],
      ['getStats', { id: mic.id }],
      [
        'produce',
        {
          transportId: aTransport,
          kind: 'audio',
          source: 'mic',
          rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }] },
        },
      ],
    ];
    for (const [method, data] of attempts) {
      expect(await b.raw(method, data), method).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await a.raw('resumeConsumer', { consumerId: bConsumer.consumerId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await b.raw('pauseProducer', { producerId: '00000000-0000-0000-0000-000000000000' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    // The refused attempts changed nothing.
    expect(fixture.server.directory.get(room)!.peers.get(a.joined!.peerId)!.producers.get(mic.id)!.producer.paused).toBe(false);
    expect(await b.request('getStats', { id: bConsumer.consumerId })).toMatchObject({ stats: expect.any(Array) });
  });

  it('keeps ids of another room not_found, not forbidden', async () => {
    const a = await peer(freshRoom(), 'A');
    const b = await peer(freshRoom(), 'B');
    const mic = await a.publish('mic');
    expect(await b.raw('pauseProducer', { producerId: mic.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
