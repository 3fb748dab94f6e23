/**
 * Every request method: its data schema (checked at runtime by the server) and the type of its answer.
 * One entry per method; the server has one handler per entry and the client one call.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { types } from 'mediasoup-client';
import { DtlsParameters, Id, RtpCapabilities, RtpParameters, SctpStreamParameters, SrtpParameters } from './media-schemas';

export const PROTOCOL_VERSION = 1;

export const MediaSource = Type.Union([Type.Literal('mic'), Type.Literal('webcam'), Type.Literal('screen'), Type.Literal('screen-audio')]);
export type MediaSource = Static<typeof MediaSource>;
/** Every source, in the schema's order. */
export const MEDIA_SOURCES: readonly MediaSource[] = MediaSource.anyOf.map((literal) => literal.const);

export const MediaKind = Type.Union([Type.Literal('audio'), Type.Literal('video')]);
export type MediaKind = Static<typeof MediaKind>;
/**
 * The kind of track each source carries: the server refuses a `produce` whose kind does not match its
 * source, and the client library a track of the wrong kind before it gets that far.
 */
export const SOURCE_KIND: Readonly<Record<MediaSource, MediaKind>> = { mic: 'audio', webcam: 'video', screen: 'video', 'screen-audio': 'audio' };

/** Room names end up in URLs and logs: keep them plain. */
export const RoomName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
export const DisplayName = Type.String({ minLength: 1, maxLength: 64 });

const Empty = Type.Object({});

export const RequestSchemas = {
  /**
   * Allowed before join: every room's router offers the same codecs, so a client loads its mediasoup
   * Device with these and then joins with the Device's rtpCapabilities.
   */
  getRouterRtpCapabilities: Empty,
  join: Type.Object({
    protocolVersion: Type.Integer(),
    room: RoomName,
    displayName: DisplayName,
    rtpCapabilities: RtpCapabilities,
    token: Type.Optional(Type.String({ maxLength: 4096 })),
  }),
  leave: Empty,
  createTransport: Type.Object({
    direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]),
    /** 'webrtc' (default) for browsers; 'plain' RTP over UDP for bots and ingest, when the server allows it. */
    type: Type.Optional(Type.Union([Type.Literal('webrtc'), Type.Literal('plain')])),
    /** Open an SCTP association for DataChannels (chat). */
    enableSctp: Type.Optional(Type.Boolean()),
    /** Offer only the TCP candidate (networks that block UDP). */
    forceTcp: Type.Optional(Type.Boolean()),
    /**
     * plain transports: encrypt with SRTP (AES_CM_128_HMAC_SHA1_80). The answer carries the server's key;
     * connectTransport must bring the peer's. (WebRTC transports always use DTLS-SRTP.)
     */
    srtp: Type.Optional(Type.Boolean()),
  }),
  connectTransport: Type.Object({
    transportId: Id,
    /** webrtc transports */
    dtlsParameters: Type.Optional(DtlsParameters),
    /** plain transports: where the server sends RTP to */
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** plain transports created with `srtp`: the peer's suite and key */
    srtpParameters: Type.Optional(SrtpParameters),
  }),
  restartIce: Type.Object({ transportId: Id }),
  produce: Type.Object({
    transportId: Id,
    kind: MediaKind,
    rtpParameters: RtpParameters,
    source: MediaSource,
    paused: Type.Optional(Type.Boolean()),
  }),
  closeProducer: Type.Object({ producerId: Id }),
  pauseProducer: Type.Object({ producerId: Id }),
  resumeProducer: Type.Object({ producerId: Id }),
  pauseConsumer: Type.Object({ consumerId: Id }),
  resumeConsumer: Type.Object({ consumerId: Id }),
  setPreferredLayers: Type.Object({
    consumerId: Id,
    spatialLayer: Type.Integer({ minimum: 0, maximum: 15 }),
    temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
  }),
  setConsumerPriority: Type.Object({ consumerId: Id, priority: Type.Integer({ minimum: 1, maximum: 255 }) }),
  requestKeyFrame: Type.Object({ consumerId: Id }),
  produceData: Type.Object({
    transportId: Id,
    sctpStreamParameters: SctpStreamParameters,
    label: Type.Optional(Type.String({ maxLength: 64 })),
    protocol: Type.Optional(Type.String({ maxLength: 64 })),
  }),
  closeDataProducer: Type.Object({ dataProducerId: Id }),
  getStats: Type.Object({ id: Id }),
} as const;

export type MethodName = keyof typeof RequestSchemas;
export type RequestData<M extends MethodName> = Static<(typeof RequestSchemas)[M]>;

/** A published producer, as peers learn of it (join, peerJoined) and as the admin API lists it. */
export const ProducerInfo = Type.Object({
  id: Type.String(),
  kind: MediaKind,
  source: MediaSource,
  paused: Type.Boolean(),
});
export type ProducerInfo = Static<typeof ProducerInfo>;

export interface PeerInfo {
  /** This membership (a new one on every rejoin). */
  id: string;
  /**
   * Who the peer is: its access token's identity (`sub`), stable across rejoins and unique in the room.
   * On a server in open mode (no AUTH_KEYS) it is the peer id.
   */
  identity: string;
  displayName: string;
  producers: ProducerInfo[];
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** The limits in force, sent on join so clients can stay inside them. */
export interface Limits {
  maxPeersPerRoom: number;
  maxProducersPerPeer: number;
  maxMessageBytes: number;
}

export interface TransportInfo {
  transportId: string;
  /** webrtc */
  iceParameters?: types.IceParameters;
  iceCandidates?: types.IceCandidate[];
  dtlsParameters?: types.DtlsParameters;
  sctpParameters?: types.SctpParameters;
  /** plain: where to send RTP */
  ip?: string;
  port?: number;
  /** plain with `srtp`: the server's suite and key */
  srtpParameters?: SrtpParameters;
}

export interface ResponseTypes {
  getRouterRtpCapabilities: { routerRtpCapabilities: types.RtpCapabilities };
  join: {
    peerId: string;
    room: string;
    routerRtpCapabilities: types.RtpCapabilities;
    peers: PeerInfo[];
    iceServers: IceServer[];
    limits: Limits;
    /**
     * The sources this peer may publish (its access token's grants; all of them on an open server): a page
     * offers no camera, microphone or screen button it could not use.
     */
    publishSources: MediaSource[];
  };
  leave: Record<string, never>;
  createTransport: TransportInfo;
  connectTransport: Record<string, never>;
  /** Fresh ICE parameters, and fresh TURN credentials (the old ones may be about to expire). */
  restartIce: { iceParameters: types.IceParameters; iceServers: IceServer[] };
  produce: { producerId: string };
  closeProducer: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  pauseConsumer: Record<string, never>;
  resumeConsumer: Record<string, never>;
  setPreferredLayers: Record<string, never>;
  setConsumerPriority: Record<string, never>;
  requestKeyFrame: Record<string, never>;
  produceData: { dataProducerId: string };
  closeDataProducer: Record<string, never>;
  /** mediasoup's own stats objects for the transport, producer, consumer or data producer/consumer. */
  getStats: { stats: unknown[] };
}

export type ResponseData<M extends MethodName> = ResponseTypes[M];
