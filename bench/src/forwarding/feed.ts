/**
 * What every forwarder is fed, identical for the three systems: one VP8-like stream from the C feeder
 * (the reference figures' load), forwarded as plain RTP to the C sink.
 */
import type { types } from 'mediasoup';

export const FEED = {
  packetsPerSecond: 1000,
  packetBytes: 1000,
  ssrc: 0x11110001,
  /** The router's preferred payload type for VP8 (server/src/media/codecs.ts). */
  payloadType: 101,
};

export const MEDIA_DESCRIPTION =
  `plain RTP (no SRTP) over UDP on loopback: one VP8-like stream of ${FEED.packetBytes}-byte packets at ` +
  `${FEED.packetsPerSecond} packets/s (keyframe on PLI/FIR and every 2 s) from a C feeder into one producer, ` +
  'each subscriber stream sent to one C sink port that counts RTP packets per SSRC';

export const SRTP_MEDIA_DESCRIPTION =
  'the same stream and fan-out, every subscriber transport protected with SRTP (AES_CM_128_HMAC_SHA1_80: the ' +
  "worker encrypts and authenticates each packet out, as for a WebRTC subscriber); the feeder's input stays plain";

/** The subscriber side's key (the sink counts SSRCs from the clear RTP header and never decrypts). */
export const SINK_SRTP_PARAMETERS = { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: Buffer.alloc(30, 7).toString('base64') } as const;

/** The producer's parameters, as a browser would send them for VP8 without simulcast. */
export const PRODUCER_RTP_PARAMETERS: types.RtpParameters = {
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: FEED.payloadType,
      clockRate: 90000,
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    },
  ],
  encodings: [{ ssrc: FEED.ssrc }],
};

/** Ports within the section's block of 1000. */
export const PORTS = {
  http: 0,
  webRtcServer: 1,
  sink: 2,
  relay: 3,
  /** Plain transports of Confero and of the bare script (never both at once). */
  plainMin: 100,
  plainMax: 999,
};

/** One port per subscriber's transport and one for the publisher's. */
export const MAX_MEDIASOUP_SUBSCRIBERS = PORTS.plainMax - PORTS.plainMin;
