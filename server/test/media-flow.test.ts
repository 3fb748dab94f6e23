/**
 * Real RTP through the SFU: two bots on plain RTP transports (UDP sockets in this process) publish to a
 * room and receive each other's packets, rewritten to their consumers' SSRCs. With the RFC 6464 audio
 * level extension in the packets, the room's observers report active speaker and audio levels.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { types as clientTypes } from 'mediasoup-client';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { headerLength, randomSrtpParameters, SrtpSession, SUITE } from './helpers/srtp';

const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

let server: TestServer;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  server = await startTestServer({});
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
afterAll(() => server.close());

interface Bot {
  peer: TestPeer;
  socket: dgram.Socket;
  received: Buffer[];
  sendTo: { ip: string; port: number };
}

async function bot(room: string, name: string): Promise<Bot> {
  const peer = await TestPeer.connect(server.wsUrl);
  const { routerRtpCapabilities } = await peer.request('getRouterRtpCapabilities', {});
  peer.joined = await peer.request('join', { protocolVersion: 1, room, displayName: name, rtpCapabilities: routerRtpCapabilities });
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: Buffer[] = [];
  socket.on('message', (msg) => received.push(msg));
  cleanups.push(() => {
    peer.close();
    socket.close();
  });
  const send = await peer.request('createTransport', { direction: 'send', type: 'plain' });
  const recv = await peer.request('createTransport', { direction: 'recv', type: 'plain' });
  await peer.request('connectTransport', { transportId: recv.transportId, ip: '127.0.0.1', port: socket.address().port });
  return { peer, socket, received, sendTo: { ip: send.ip!, port: send.port! }, ...{ sendTransportId: send.transportId } } as Bot & {
    sendTransportId: string;
  };
}

function rtpPacket(seq: number, ssrc: number, payloadType: number, level?: number): Buffer {
  const extension = level === undefined ? Buffer.alloc(0) : Buffer.from([0xbe, 0xde, 0x00, 0x01, 0x10, 0x80 | level, 0x00, 0x00]);
  const header = Buffer.alloc(12);
  header[0] = 0x80 | (level === undefined ? 0 : 0x10);
  header[1] = payloadType;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((seq * 960) >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, extension, Buffer.alloc(160, seq & 0xff)]);
}

const isRtp = (msg: Buffer): boolean => msg.length >= 12 && !((msg[1]! & 0x7f) >= 72 && (msg[1]! & 0x7f) <= 76);

async function publishOpus(b: Bot & { sendTransportId?: string }, ssrc: number): Promise<string> {
  const rtpParameters: clientTypes.RtpParameters = {
    codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
    encodings: [{ ssrc }],
    headerExtensions: [{ uri: AUDIO_LEVEL_URI, id: 1 }],
  };
  const { producerId } = await b.peer.request('produce', {
    transportId: (b as { sendTransportId: string }).sendTransportId,
    kind: 'audio',
    source: 'mic',
    rtpParameters,
  });
  return producerId;
}

async function stream(b: Bot, ssrc: number, packets: number, level: number | ((seq: number) => number)): Promise<void> {
  for (let seq = 1; seq <= packets; seq++) {
    b.socket.send(rtpPacket(seq, ssrc, 100, typeof level === 'number' ? level : level(seq)), b.sendTo.port, b.sendTo.ip);
    await sleep(10);
  }
}

describe('media flow', () => {
  it('two peers exchange RTP through the SFU', async () => {
    const alice = await bot('media-1', 'Alice');
    const bob = await bot('media-1', 'Bob');
    const aliceProducer = await publishOpus(alice, 0x1111);
    const bobProducer = await publishOpus(bob, 0x2222);
    const toBob = await bob.peer.waitFor('newConsumer', (d) => d.producerId === aliceProducer);
    const toAlice = await alice.peer.waitFor('newConsumer', (d) => d.producerId === bobProducer);
    await bob.peer.request('resumeConsumer', { consumerId: toBob.consumerId });
    await alice.peer.request('resumeConsumer', { consumerId: toAlice.consumerId });

    await Promise.all([stream(alice, 0x1111, 50, 20), stream(bob, 0x2222, 50, 20)]);
    await sleep(300);

    const ssrcOf = (n: typeof toBob): number => n.rtpParameters.encodings![0]!.ssrc!;
    const bobGot = bob.received.filter(isRtp).filter((m) => m.readUInt32BE(8) === ssrcOf(toBob));
    const aliceGot = alice.received.filter(isRtp).filter((m) => m.readUInt32BE(8) === ssrcOf(toAlice));
    expect(bobGot.length).toBeGreaterThanOrEqual(45);
    expect(aliceGot.length).toBeGreaterThanOrEqual(45);
    // Payloads pass through untouched: the last byte of packet n is n.
    expect(bobGot.some((m) => m[m.length - 1] === 50)).toBe(true);
    // Nobody receives their own media back.
    expect(alice.received.filter(isRtp).some((m) => m.readUInt32BE(8) === 0x1111)).toBe(false);

    const stats = (await bob.peer.request('getStats', { id: toBob.consumerId })).stats as { type: string; packetCount?: number }[];
    expect(stats.find((s) => s.type === 'outbound-rtp')!.packetCount).toBeGreaterThanOrEqual(45);
    // Stream health is reported to both ends.
    const produced = await alice.peer.waitFor('producerScore', (d) => d.producerId === aliceProducer && d.score.some((e) => e.score > 0));
    expect(produced.score[0]!.ssrc).toBe(0x1111);
    const consumed = await bob.peer.waitFor('consumerScore', (d) => d.consumerId === toBob.consumerId && d.score.producerScore > 0);
    expect(consumed.score.score).toBeGreaterThan(0);
  });

  it('a paused consumer receives nothing until resumed', async () => {
    const alice = await bot('media-2', 'Alice');
    const bob = await bot('media-2', 'Bob');
    const producerId = await publishOpus(alice, 0x3333);
    const note = await bob.peer.waitFor('newConsumer', (d) => d.producerId === producerId);
    await stream(alice, 0x3333, 20, 30);
    await sleep(150);
    expect(bob.received.filter(isRtp)).toHaveLength(0);
    await bob.peer.request('resumeConsumer', { consumerId: note.consumerId });
    await stream(alice, 0x3333, 20, 30);
    await sleep(150);
    expect(bob.received.filter(isRtp).length).toBeGreaterThan(10);
  });

  it('reports the active speaker and audio levels from the audio level extension', async () => {
    const loud = await bot('media-3', 'Loud');
    const quiet = await bot('media-3', 'Quiet');
    const loudProducer = await publishOpus(loud, 0x4444);
    await publishOpus(quiet, 0x5555);
    // Speech-like bursts around -10 dBov against near silence (-120 dBov); the level observer's
    // threshold is -70, and dominant-speaker detection needs varying activity over a couple of seconds.
    const talking = Promise.all([stream(loud, 0x4444, 400, (seq) => (seq % 25 < 15 ? 8 : 30)), stream(quiet, 0x5555, 400, 120)]);
    const levels = await quiet.peer.waitFor('audioLevels', (d) => d.levels.length > 0);
    expect(levels.levels[0]).toMatchObject({ peerId: loud.peer.joined!.peerId, producerId: loudProducer });
    expect(levels.levels[0]!.volume).toBeGreaterThan(-20);
    expect(levels.levels.some((l) => l.peerId === quiet.peer.joined!.peerId)).toBe(false);
    const speaker = await quiet.peer.waitFor('activeSpeaker', (d) => d.peerId === loud.peer.joined!.peerId, 8000);
    expect(speaker.producerId).toBe(loudProducer);
    await talking;
  });
});

describe('plain transports with SRTP', () => {
  it('carries SRTP both ways: what one bot protects with its key arrives protected with the server key', async () => {
    const alice = await TestPeer.connect(server.wsUrl);
    const bob = await TestPeer.connect(server.wsUrl);
    cleanups.push(() => (alice.close(), bob.close()));
    for (const [peer, name] of [
      [alice, 'Alice'],
      [bob, 'Bob'],
    ] as const) {
      const { routerRtpCapabilities } = await peer.request('getRouterRtpCapabilities', {});
      peer.joined = await peer.request('join', { protocolVersion: 1, room: 'media-srtp', displayName: name, rtpCapabilities: routerRtpCapabilities });
    }
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const received: Buffer[] = [];
    socket.on('message', (msg) => received.push(msg));
    cleanups.push(() => socket.close());

    // Alice publishes over SRTP with her own key; the server's key of her transport is not needed to send.
    const aliceKey = randomSrtpParameters();
    const send = await alice.request('createTransport', { direction: 'send', type: 'plain', srtp: true });
    expect(send.srtpParameters?.cryptoSuite).toBe(SUITE);
    await alice.request('connectTransport', { transportId: send.transportId, srtpParameters: aliceKey });
    const { producerId } = await alice.request('produce', {
      transportId: send.transportId,
      kind: 'audio',
      source: 'mic',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 0x6666 }] },
    });

    // Bob receives over SRTP, protected with the key the server announced for his transport.
    const recv = await bob.request('createTransport', { direction: 'recv', type: 'plain', srtp: true });
    expect(Buffer.from(recv.srtpParameters!.keyBase64, 'base64')).toHaveLength(30);
    await bob.request('connectTransport', {
      transportId: recv.transportId,
      ip: '127.0.0.1',
      port: socket.address().port,
      srtpParameters: randomSrtpParameters(),
    });
    const consumer = await bob.waitFor('newConsumer', (d) => d.producerId === producerId);
    await bob.request('resumeConsumer', { consumerId: consumer.consumerId });

    const protect = new SrtpSession(aliceKey.keyBase64);
    const forged = new SrtpSession(randomSrtpParameters().keyBase64);
    for (let seq = 1; seq <= 60; seq++) {
      // Packets 41–60 are protected with a key the server does not know: it must drop them.
      const session = seq <= 40 ? protect : forged;
      socket.send(session.protect(rtpPacket(seq, 0x6666, 100)), send.port!, send.ip!);
      await sleep(10);
    }
    await sleep(300);

    const ssrc = consumer.rtpParameters.encodings![0]!.ssrc!;
    const rtp = received.filter(isRtp).filter((m) => m.readUInt32BE(8) === ssrc);
    const unprotect = new SrtpSession(recv.srtpParameters!.keyBase64);
    const plain = rtp.map((m) => unprotect.unprotect(m));
    expect(
      plain.every((p) => p !== undefined),
      'every packet authenticates with the server key',
    ).toBe(true);
    expect(plain.length).toBeGreaterThanOrEqual(36);
    // Payloads arrive intact (packet n is 160 bytes of n), and never in the clear on the wire.
    const fills = plain.map((p) => p![p!.length - 1]!);
    for (const [i, p] of plain.entries()) expect(p!.subarray(headerLength(p!))).toEqual(Buffer.alloc(160, fills[i]));
    expect(Math.max(...fills)).toBeLessThanOrEqual(40);
    expect(rtp.every((m) => !m.subarray(headerLength(m), headerLength(m) + 160).every((byte) => byte === m[headerLength(m)]))).toBe(true);
  });

  it('answers a missing, unexpected or unusable key with bad_request', async () => {
    const peer = await TestPeer.connect(server.wsUrl);
    cleanups.push(() => peer.close());
    const { routerRtpCapabilities } = await peer.request('getRouterRtpCapabilities', {});
    peer.joined = await peer.request('join', { protocolVersion: 1, room: 'media-srtp-bad', displayName: 'Eve', rtpCapabilities: routerRtpCapabilities });
    const bad = { ok: false, error: { code: 'bad_request' } };
    expect(await peer.raw('createTransport', { direction: 'send', srtp: true })).toMatchObject(bad);
    const srtp = await peer.request('createTransport', { direction: 'recv', type: 'plain', srtp: true });
    expect(await peer.raw('connectTransport', { transportId: srtp.transportId, ip: '127.0.0.1', port: 9 })).toMatchObject(bad);
    expect(
      await peer.raw('connectTransport', {
        transportId: srtp.transportId,
        ip: '127.0.0.1',
        port: 9,
        srtpParameters: { cryptoSuite: SUITE, keyBase64: 'c2hvcnQ=' },
      }),
    ).toMatchObject({ ok: false });
    expect(
      await peer.raw('connectTransport', {
        transportId: srtp.transportId,
        ip: '127.0.0.1',
        port: 9,
        srtpParameters: { cryptoSuite: 'ROT13', keyBase64: 'c2hvcnQ=' },
      }),
    ).toMatchObject(bad);
    const clear = await peer.request('createTransport', { direction: 'send', type: 'plain' });
    expect(clear.srtpParameters).toBeUndefined();
    expect(await peer.raw('connectTransport', { transportId: clear.transportId, srtpParameters: randomSrtpParameters() })).toMatchObject(bad);
    // The socket is still good for everything else.
    expect((await peer.raw('getRouterRtpCapabilities', {})).ok).toBe(true);
  });
});
