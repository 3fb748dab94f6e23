/**
 * What the sim bots speak: Opus and VP8, with the payload types the router prefers. From these come the
 * rtpCapabilities a bot joins with (what it can receive), the rtpParameters of its producers, and the
 * codec lines of the SDP its libdatachannel sees.
 *
 * No RTX and no header extensions: retransmissions then come on the original SSRC and sequence number
 * (mediasoup does that when RTX is not negotiated), which is exactly what the loss count needs; and no
 * transport-cc/REMB, so the SFU does no bandwidth estimation for bots and forwards the preferred
 * (highest) simulcast layer — every subscriber costs the same.
 */
import type { types } from 'mediasoup-client';
import type { RemoteCodec } from './sdp';

export interface BotCodec {
  kind: 'audio' | 'video';
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  rtcpFeedback: types.RtcpFeedback[];
}

export interface BotCodecs {
  audio: BotCodec;
  video: BotCodec;
}

const VIDEO_FEEDBACK: types.RtcpFeedback[] = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];

/** Opus and VP8 as the router offers them; an error naming what is missing otherwise. */
export function botCodecs(router: types.RtpCapabilities): BotCodecs {
  const find = (mimeType: string): types.RtpCodecCapability => {
    const codec = router.codecs?.find((c) => c.mimeType.toLowerCase() === mimeType);
    if (!codec || codec.preferredPayloadType === undefined) throw new Error(`the router offers no ${mimeType}; sim bots need Opus and VP8`);
    return codec;
  };
  const opus = find('audio/opus');
  const vp8 = find('video/vp8');
  return {
    audio: { kind: 'audio', mimeType: 'audio/opus', payloadType: opus.preferredPayloadType!, clockRate: 48_000, channels: 2, rtcpFeedback: [] },
    video: { kind: 'video', mimeType: 'video/VP8', payloadType: vp8.preferredPayloadType!, clockRate: 90_000, rtcpFeedback: VIDEO_FEEDBACK },
  };
}

/** What a bot can receive: the join's rtpCapabilities. */
export function receiveCapabilities(codecs: BotCodecs): types.RtpCapabilities {
  return {
    codecs: [codecs.audio, codecs.video].map((c) => ({
      kind: c.kind,
      mimeType: c.mimeType,
      preferredPayloadType: c.payloadType,
      clockRate: c.clockRate,
      ...(c.channels ? { channels: c.channels } : {}),
      rtcpFeedback: c.rtcpFeedback,
    })),
    headerExtensions: [],
  };
}

/** A producer's rtpParameters: one encoding per SSRC (three SSRCs = simulcast, lowest layer first). */
export function produceParameters(codec: BotCodec, ssrcs: readonly number[], cname: string): types.RtpParameters {
  return {
    codecs: [
      {
        mimeType: codec.mimeType,
        payloadType: codec.payloadType,
        clockRate: codec.clockRate,
        ...(codec.channels ? { channels: codec.channels } : {}),
        ...(codec.kind === 'audio' ? { parameters: { useinbandfec: 1, minptime: 10 } } : {}),
        rtcpFeedback: codec.rtcpFeedback,
      },
    ],
    headerExtensions: [],
    encodings: ssrcs.map((ssrc) => ({ ssrc, ...(ssrcs.length > 1 ? { scalabilityMode: 'L1T1' } : {}) })),
    rtcp: { cname, reducedSize: true },
  };
}

/** The codec as an SDP answer section describes it to libdatachannel. */
export function sdpCodec(codec: BotCodec, payloadType = codec.payloadType): RemoteCodec {
  return {
    payloadType,
    name: codec.mimeType.split('/')[1]!,
    clockRate: codec.clockRate,
    ...(codec.channels ? { channels: codec.channels } : {}),
    ...(codec.kind === 'audio' ? { fmtp: 'minptime=10;useinbandfec=1' } : {}),
    rtcpFeedback: codec.rtcpFeedback.map((fb) => (fb.parameter ? `${fb.type} ${fb.parameter}` : fb.type)),
  };
}
