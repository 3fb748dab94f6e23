/**
 * Two peers exchanging real RTP through the SFU: each has a plain send transport fed by an RtpPacer
 * stream and a plain receive transport delivering the other's audio back to that stream's socket.
 */
import type { types as clientTypes } from 'mediasoup-client';
import { TestPeer } from '../../../testkit/test-peer';
import { RtpPacer } from './rtp-pacer';

const OPUS_PT = 100;

export interface MediaSide {
  peer: TestPeer;
  sendTransportId: string;
  recvTransportId: string;
  producerId: string;
  /** Its consumer of the other side's producer. */
  consumerId: string;
}

export interface MediaPair {
  sides: [MediaSide, MediaSide];
  pacer: RtpPacer;
  /** Every id the pair owns: what other peers must never be able to touch. */
  ownedIds(): string[];
  close(): Promise<void>;
}

export async function startMediaPair(wsUrl: string, room: string): Promise<MediaPair> {
  const ssrcs = [0x51510001, 0x51510002];
  const pacer = await RtpPacer.create(ssrcs, OPUS_PT);
  const peers = [await TestPeer.connect(wsUrl), await TestPeer.connect(wsUrl)];
  const setups = [];
  for (const [i, peer] of peers.entries()) {
    const { routerRtpCapabilities } = await peer.request('getRouterRtpCapabilities', {});
    peer.joined = await peer.request('join', { protocolVersion: 1, room, displayName: `media-${i}`, rtpCapabilities: routerRtpCapabilities });
    const send = await peer.request('createTransport', { direction: 'send', type: 'plain' });
    const recv = await peer.request('createTransport', { direction: 'recv', type: 'plain' });
    await peer.request('connectTransport', { transportId: recv.transportId, ip: '127.0.0.1', port: pacer.ports[i]! });
    setups.push({ peer, send, recv });
  }
  const producerIds: string[] = [];
  for (const [i, { peer, send }] of setups.entries()) {
    const rtpParameters: clientTypes.RtpParameters = {
      codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: ssrcs[i]! }],
    };
    const { producerId } = await peer.request('produce', { transportId: send.transportId, kind: 'audio', source: 'mic', rtpParameters });
    producerIds.push(producerId);
  }
  const sides = [] as unknown as [MediaSide, MediaSide];
  const receiveSsrcs: number[] = [];
  for (const [i, { peer, send, recv }] of setups.entries()) {
    const other = producerIds[1 - i]!;
    const { consumerId, rtpParameters } = await peer.waitFor('newConsumer', (d) => d.producerId === other);
    receiveSsrcs.push(rtpParameters.encodings![0]!.ssrc!);
    await peer.request('resumeConsumer', { consumerId });
    sides.push({ peer, sendTransportId: send.transportId, recvTransportId: recv.transportId, producerId: producerIds[i]!, consumerId });
  }
  pacer.start(
    setups.map(({ send }) => ({ ip: send.ip!, port: send.port! })),
    receiveSsrcs,
  );
  return {
    sides,
    pacer,
    ownedIds: () => sides.flatMap((s) => [s.sendTransportId, s.recvTransportId, s.producerId, s.consumerId]),
    async close() {
      for (const s of sides) s.peer.close();
      await pacer.stop().catch(() => undefined);
    },
  };
}

/** A consumer's forwarded packet count, read through the peer's own signalling (getStats). */
export async function consumerPacketCount(side: MediaSide): Promise<number> {
  const { stats } = await side.peer.request('getStats', { id: side.consumerId });
  const outbound = (stats as { type: string; packetCount?: number }[]).find((s) => s.type === 'outbound-rtp');
  return outbound?.packetCount ?? 0;
}
