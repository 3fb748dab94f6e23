/**
 * Runtime schemas for the mediasoup objects that travel in messages. They check the structure (so bad
 * input is answered with `bad_request` before reaching mediasoup, and sizes stay bounded); mediasoup's
 * own ORTC validation still runs on top. Static types are mediasoup-client's own.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { types } from 'mediasoup-client';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Param = Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]);
const Parameters = Type.Record(Type.String({ maxLength: 64 }), Param, { maxProperties: 32 });
const RtcpFeedback = Type.Object({ type: Type.String({ maxLength: 32 }), parameter: Type.Optional(Type.String({ maxLength: 32 })) });

const typed = <T>(schema: TSchema) => Type.Unsafe<T>(schema);

const CodecCapability = Type.Object({
  kind: Type.Union([Type.Literal('audio'), Type.Literal('video')]),
  mimeType: Type.String({ maxLength: 64 }),
  preferredPayloadType: Type.Optional(Type.Integer({ minimum: 0, maximum: 127 })),
  clockRate: Type.Integer({ minimum: 1 }),
  channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
  parameters: Type.Optional(Parameters),
  rtcpFeedback: Type.Optional(Type.Array(RtcpFeedback, { maxItems: 16 })),
});

const HeaderExtensionCapability = Type.Object({
  kind: Type.Union([Type.Literal('audio'), Type.Literal('video')]),
  uri: Type.String({ maxLength: 256 }),
  preferredId: Type.Integer({ minimum: 1, maximum: 255 }),
  preferredEncrypt: Type.Optional(Type.Boolean()),
  direction: Type.Optional(Type.String({ maxLength: 16 })),
});

export const RtpCapabilities = typed<types.RtpCapabilities>(
  Type.Object({
    codecs: Type.Optional(Type.Array(CodecCapability, { maxItems: 64 })),
    headerExtensions: Type.Optional(Type.Array(HeaderExtensionCapability, { maxItems: 64 })),
  }),
);

const Encoding = Type.Object({
  ssrc: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
  rid: Type.Optional(Type.String({ maxLength: 32 })),
  codecPayloadType: Type.Optional(Type.Integer({ minimum: 0, maximum: 127 })),
  rtx: Type.Optional(Type.Object({ ssrc: Type.Integer({ minimum: 0, maximum: 0xffffffff }) })),
  dtx: Type.Optional(Type.Boolean()),
  scalabilityMode: Type.Optional(Type.String({ maxLength: 16 })),
  scaleResolutionDownBy: Type.Optional(Type.Number({ minimum: 1 })),
  maxBitrate: Type.Optional(Type.Integer({ minimum: 0 })),
  maxFramerate: Type.Optional(Type.Number({ minimum: 0 })),
  adaptivePtime: Type.Optional(Type.Boolean()),
  priority: Type.Optional(Type.String({ maxLength: 16 })),
  networkPriority: Type.Optional(Type.String({ maxLength: 16 })),
  active: Type.Optional(Type.Boolean()),
});

export const RtpParameters = typed<types.RtpParameters>(
  Type.Object({
    mid: Type.Optional(Type.String({ maxLength: 32 })),
    codecs: Type.Array(
      Type.Object({
        mimeType: Type.String({ maxLength: 64 }),
        payloadType: Type.Integer({ minimum: 0, maximum: 127 }),
        clockRate: Type.Integer({ minimum: 1 }),
        channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
        parameters: Type.Optional(Parameters),
        rtcpFeedback: Type.Optional(Type.Array(RtcpFeedback, { maxItems: 16 })),
      }),
      { minItems: 1, maxItems: 32 },
    ),
    headerExtensions: Type.Optional(
      Type.Array(
        Type.Object({
          uri: Type.String({ maxLength: 256 }),
          id: Type.Integer({ minimum: 1, maximum: 255 }),
          encrypt: Type.Optional(Type.Boolean()),
          parameters: Type.Optional(Parameters),
        }),
        { maxItems: 32 },
      ),
    ),
    encodings: Type.Optional(Type.Array(Encoding, { maxItems: 8 })),
    rtcp: Type.Optional(
      Type.Object({
        cname: Type.Optional(Type.String({ maxLength: 256 })),
        reducedSize: Type.Optional(Type.Boolean()),
        mux: Type.Optional(Type.Boolean()),
      }),
    ),
    msid: Type.Optional(Type.String({ maxLength: 256 })),
  }),
);

export const DtlsParameters = typed<types.DtlsParameters>(
  Type.Object({
    role: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('client'), Type.Literal('server')])),
    fingerprints: Type.Array(Type.Object({ algorithm: Type.String({ maxLength: 16 }), value: Type.String({ maxLength: 256 }) }), { minItems: 1, maxItems: 8 }),
  }),
);

/** SRTP on a plain transport: the suite and a key (master key + salt, base64) of that suite's size. */
export const SrtpParameters = Type.Object({
  cryptoSuite: Type.Union([
    Type.Literal('AEAD_AES_256_GCM'),
    Type.Literal('AEAD_AES_128_GCM'),
    Type.Literal('AES_CM_128_HMAC_SHA1_80'),
    Type.Literal('AES_CM_128_HMAC_SHA1_32'),
  ]),
  keyBase64: Type.String({ minLength: 4, maxLength: 128, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
});
export type SrtpParameters = Static<typeof SrtpParameters>;

export const SctpStreamParameters = typed<types.SctpStreamParameters>(
  Type.Object({
    streamId: Type.Optional(Type.Integer({ minimum: 0, maximum: 65534 })),
    ordered: Type.Optional(Type.Boolean()),
    maxPacketLifeTime: Type.Optional(Type.Integer({ minimum: 0 })),
    maxRetransmits: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
);

export { Id };
