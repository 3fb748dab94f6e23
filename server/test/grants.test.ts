/**
 * Grants, method by method, through the real server: each refusal is `forbidden` naming the grant, the
 * same request with the grant succeeds, and a peer that may not subscribe gets no media pushed to it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { AUTH_ENV, tokenFor } from '../../testkit/tokens';
import type { VideoGrant } from '../src/auth/grants';

let server: TestServer;
const peers: TestPeer[] = [];
let seq = 0;

beforeAll(async () => {
  server = await startTestServer(AUTH_ENV);
});
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});
afterAll(() => server?.close());

/** A peer joined to a fresh (or given) room with a token carrying `video` grants. */
async function peerWith(video: VideoGrant, room = `grants-${process.pid}-${++seq}`, identity = `id-${seq}`): Promise<TestPeer> {
  const p = await TestPeer.connect(server.wsUrl);
  peers.push(p);
  await p.join(room, identity, await tokenFor(room, identity, { video }));
  return p;
}

/** A DataChannel producer on the peer's send transport (chat), through produceData. */
function produceChat(p: TestPeer): Promise<{ id: string }> {
  const transport = p.sendTransport!;
  if (transport.listenerCount('producedata') === 0) {
    transport.on('producedata', ({ sctpStreamParameters, label, protocol }, ok, fail) =>
      p
        .request('produceData', { transportId: transport.id, sctpStreamParameters: sctpStreamParameters as never, label, protocol })
        .then(({ dataProducerId }) => ok({ id: dataProducerId }), fail),
    );
  }
  return transport.produceData({ label: 'chat' });
}

describe('canPublish', () => {
  it('false: no send transport (media), no produce; a data-only send transport with canPublishData', async () => {
    const p = await peerWith({ canPublish: false, canPublishData: false });
    const send = await p.raw('createTransport', { direction: 'send' });
    expect(send).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/does not grant canPublish: no send transport$/) } });
    const plain = await p.raw('createTransport', { direction: 'send', type: 'plain' });
    expect(plain).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/canPublish/) } });

    const chatter = await peerWith({ canPublish: false });
    const mediaSend = await chatter.raw('createTransport', { direction: 'send' });
    expect(mediaSend).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringMatching(/for data only, create it with enableSctp/) } });
    await chatter.createSendTransport(); // enableSctp: allowed for data
    await expect(chatter.publish('mic')).rejects.toThrow(/forbidden|does not grant canPublish$/);
    const dataProducer = await produceChat(chatter);
    expect(dataProducer.id).toBeTruthy();
  });

  it('true (or unset): send transport and produce of any source', async () => {
    const p = await peerWith({ canPublish: true });
    await p.publish('mic');
    await p.publish('webcam');
    await p.publish('screen', false);
    const q = await peerWith({});
    await q.publish('mic');
  });
});

describe('canPublishSources', () => {
  it('limits produce to the listed sources (LiveKit names)', async () => {
    const p = await peerWith({ canPublishSources: ['camera', 'screen_share'] });
    await p.publish('webcam');
    await p.publish('screen', false);
    await expect(p.publish('mic')).rejects.toThrow(/does not grant publishing mic \(canPublishSources: camera, screen_share; this source is microphone\)/);
    const none = await peerWith({ canPublishSources: [] });
    await expect(none.publish('webcam')).rejects.toThrow(/canPublishSources: none; this source is camera/);
  });

  it('the join answer says which sources the peer may publish, so a page offers only those', async () => {
    expect((await peerWith({ canPublishSources: ['camera', 'screen_share'] })).joined!.publishSources).toEqual(['webcam', 'screen']);
    expect((await peerWith({ canPublish: false })).joined!.publishSources).toEqual([]);
    expect((await peerWith({})).joined!.publishSources).toEqual(['mic', 'webcam', 'screen', 'screen-audio']);
  });
});

describe('canSubscribe', () => {
  it('false: no receive transport, and nothing is pushed to the peer', async () => {
    const room = `grants-${process.pid}-${++seq}`;
    const publisher = await peerWith({}, room, 'pub');
    await publisher.publish('mic');
    const muteViewer = await peerWith({ canSubscribe: false }, room, 'nosub');
    const recv = await muteViewer.raw('createTransport', { direction: 'recv' });
    expect(recv).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringMatching(/does not grant canSubscribe: no receive transport/) },
    });
    // It may still publish, and the subscriber sees that; then a new producer is not fanned out to it.
    const subscriber = await peerWith({}, room, 'sub');
    await subscriber.createRecvTransport();
    const cam = await muteViewer.publish('webcam');
    await subscriber.waitFor('newConsumer', (d) => d.producerId === cam.id);
    const later = await publisher.publish('webcam');
    await subscriber.waitFor('newConsumer', (d) => d.producerId === later.id);
    expect(muteViewer.count('newConsumer')).toBe(0);
    expect(muteViewer.count('newDataConsumer')).toBe(0);
  });

  it('true: receive transport and consumers', async () => {
    const room = `grants-${process.pid}-${++seq}`;
    const publisher = await peerWith({}, room, 'pub2');
    const mic = await publisher.publish('mic');
    const viewer = await peerWith({ canSubscribe: true, canPublish: false, canPublishData: false }, room, 'viewer');
    await viewer.createRecvTransport();
    await viewer.waitFor('newConsumer', (d) => d.producerId === mic.id);
  });
});

describe('canPublishData', () => {
  it('false: no produceData; true: allowed', async () => {
    const p = await peerWith({ canPublishData: false });
    await p.createSendTransport();
    await expect(produceChat(p)).rejects.toThrow(/does not grant canPublishData/);
    await p.publish('mic'); // media publishing is unaffected
    const q = await peerWith({ canPublishData: true });
    await q.createSendTransport();
    await produceChat(q);
  });
});

describe('requests on own objects', () => {
  it('need no further grant: pause, resume, close, stats', async () => {
    const p = await peerWith({ canPublishSources: ['microphone'] });
    const mic = await p.publish('mic');
    await p.request('pauseProducer', { producerId: mic.id });
    await p.request('resumeProducer', { producerId: mic.id });
    expect((await p.request('getStats', { id: mic.id })).stats.length).toBeGreaterThanOrEqual(0);
    await p.request('closeProducer', { producerId: mic.id });
  });
});
