/**
 * SRTP through the real worker, which (on offline machines) runs on our libsrtp-v3-on-v2 compatibility
 * header: plain RTP → mediasoup → SRTP PlainTransport → a Node relay that corrupts chosen packets →
 * SRTP PlainTransport → mediasoup → plain RTP to Node. For every crypto suite: nothing readable on the
 * wire, the right auth tag size, every intact packet delivered byte-identical, every corrupted one dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_PORTS } from '../../testkit/ports';

const IP = '127.0.0.1';
const SSRC = 1111;
const PAYLOAD_BYTES = 100;
const TAG_BYTES: Record<types.SrtpCryptoSuite, number> = {
  AEAD_AES_256_GCM: 16,
  AEAD_AES_128_GCM: 16,
  AES_CM_128_HMAC_SHA1_80: 10,
  AES_CM_128_HMAC_SHA1_32: 4,
};

let worker: types.Worker;
let router: types.Router;
const listenInfo = (): types.TransportListenInfo => ({
  protocol: 'udp',
  ip: IP,
  portRange: MEDIA_PORTS, // mediasoup's choice of a free port
});

beforeAll(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'none' });
  router = await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
});
afterAll(() => worker.close());

/** RTP header length incl. CSRCs and the header extension (which SRTP leaves in clear). */
function rtpHeaderLength(msg: Buffer): number {
  let length = 12 + 4 * (msg[0]! & 0x0f);
  if (msg[0]! & 0x10) length += 4 + 4 * msg.readUInt16BE(length + 2);
  return length;
}

const isRtcp = (msg: Buffer): boolean => (msg[1]! & 0x7f) >= 72 && (msg[1]! & 0x7f) <= 76;
const payloadOf = (seq: number): Buffer => Buffer.from(`CONFERO-PAYLOAD-${seq}-`.padEnd(PAYLOAD_BYTES, 'x'));
const bound = (socket: dgram.Socket): Promise<number> => new Promise((resolve) => socket.bind(0, IP, () => resolve(socket.address().port)));

describe('SRTP through the worker', () => {
  it.each(Object.keys(TAG_BYTES) as types.SrtpCryptoSuite[])('%s protects, authenticates and round-trips', async (suite) => {
    const [source, relay, sink] = [dgram.createSocket('udp4'), dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    const relayPort = await bound(relay);
    const sinkPort = await bound(sink);
    await bound(source);

    const plainIn = await router.createPlainTransport({ listenInfo: listenInfo(), rtcpMux: true, comedia: true });
    const producer = await plainIn.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: SSRC }] },
    });
    const srtpOut = await router.createPlainTransport({ listenInfo: listenInfo(), rtcpMux: true, enableSrtp: true, srtpCryptoSuite: suite });
    const srtpIn = await router.createPlainTransport({ listenInfo: listenInfo(), rtcpMux: true, comedia: true, enableSrtp: true, srtpCryptoSuite: suite });
    await srtpOut.connect({ ip: IP, port: relayPort, srtpParameters: srtpIn.srtpParameters });
    await srtpIn.connect({ srtpParameters: srtpOut.srtpParameters });
    const encrypted = await srtpOut.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const decrypted = await srtpIn.produce({ kind: 'audio', rtpParameters: encrypted.rtpParameters });
    const plainOut = await router.createPlainTransport({ listenInfo: listenInfo(), rtcpMux: true });
    await plainOut.connect({ ip: IP, port: sinkPort });
    await plainOut.consume({ producerId: decrypted.id, rtpCapabilities: router.rtpCapabilities });

    const total = 20;
    const corrupt = new Set([3, 8, 13, 18]);
    let relayed = 0;
    let plaintextOnWire = 0;
    const trailerSizes = new Set<number>();
    const delivered = new Set<number>();
    let deliveredAll!: () => void;
    const allIntactDelivered = new Promise<void>((resolve) => (deliveredAll = resolve));

    relay.on('message', (msg) => {
      if (isRtcp(msg)) return;
      const index = relayed++;
      if (msg.includes('CONFERO-PAYLOAD')) plaintextOnWire++;
      trailerSizes.add(msg.length - rtpHeaderLength(msg) - PAYLOAD_BYTES);
      if (corrupt.has(index)) msg[msg.length - 20]! ^= 0x01;
      relay.send(msg, srtpIn.tuple.localPort, IP);
    });
    sink.on('message', (msg) => {
      if (isRtcp(msg)) return;
      const match = /CONFERO-PAYLOAD-(\d+)-/.exec(msg.toString('latin1'));
      if (match && msg.subarray(-PAYLOAD_BYTES).equals(payloadOf(Number(match[1])))) delivered.add(Number(match[1]));
      if (delivered.size === total - corrupt.size) deliveredAll();
    });

    for (let seq = 0; seq < total; seq++) {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 100;
      header.writeUInt16BE(1000 + seq, 2);
      header.writeUInt32BE(960 * seq, 4);
      header.writeUInt32BE(SSRC, 8);
      source.send(Buffer.concat([header, payloadOf(seq)]), plainIn.tuple.localPort, IP);
      await sleep(10);
    }
    // Wait for the intact packets (bounded), then a little longer so a wrongly accepted corrupted one shows.
    await Promise.race([allIntactDelivered, sleep(3000)]);
    await sleep(200);

    expect(relayed).toBe(total);
    expect(plaintextOnWire).toBe(0);
    expect([...trailerSizes]).toEqual([TAG_BYTES[suite]]);
    const intact = [...Array(total).keys()].filter((i) => !corrupt.has(i));
    expect([...delivered].sort((a, b) => a - b)).toEqual(intact);

    for (const socket of [source, relay, sink]) socket.close();
    for (const transport of [plainIn, srtpOut, srtpIn, plainOut]) transport.close();
  });
});
