/** Server → client notifications: {method, data}, never answered. */
import type { types } from 'mediasoup-client';
import type { MediaKind, MediaSource, PeerInfo } from './methods';

export interface NotificationTypes {
  /**
   * Sent once, as soon as the socket is open: what getRouterRtpCapabilities would answer, so a client
   * can load its Device and join without that round trip first.
   */
  welcome: { protocolVersion: number; routerRtpCapabilities: types.RtpCapabilities };
  peerJoined: { peer: PeerInfo };
  peerLeft: { peerId: string };
  /** A consumer was created for you, paused: consume it locally, then send resumeConsumer. */
  newConsumer: {
    consumerId: string;
    producerId: string;
    peerId: string;
    kind: MediaKind;
    source: MediaSource;
    rtpParameters: types.RtpParameters;
    type: 'simple' | 'simulcast' | 'svc' | 'pipe';
    /** The producer itself is paused (e.g. the camera is muted). */
    producerPaused: boolean;
  };
  consumerClosed: { consumerId: string };
  /** The remote producer was paused/resumed (mute state). */
  consumerPaused: { consumerId: string };
  consumerResumed: { consumerId: string };
  consumerScore: { consumerId: string; score: { score: number; producerScore: number; producerScores: number[] } };
  producerScore: { producerId: string; score: { encodingIdx: number; ssrc: number; rid?: string; score: number }[] };
  layersChanged: { consumerId: string; spatialLayer: number | null; temporalLayer: number | null };
  /** The server closed one of your producers (e.g. its transport closed). */
  producerClosed: { producerId: string };
  newDataConsumer: {
    dataConsumerId: string;
    dataProducerId: string;
    peerId: string;
    sctpStreamParameters: types.SctpStreamParameters;
    label: string;
    protocol: string;
  };
  dataConsumerClosed: { dataConsumerId: string };
  activeSpeaker: { peerId: string | null; producerId: string | null };
  /** Volumes in dBvo (−127…0) of the loudest audio producers; empty on silence. */
  audioLevels: { levels: { peerId: string; producerId: string; volume: number }[] };
  /**
   * The room ended for you. worker_died / shutdown: rejoin to continue (worker_died at once: the room is
   * recreated on a live worker). closed_by_admin: the call is over, do not rejoin.
   */
  roomClosed: { reason: 'worker_died' | 'shutdown' | 'closed_by_admin' };
  /**
   * You were taken out of the room and the server closes the connection: the same identity joined
   * elsewhere, or an admin removed you. Do not rejoin automatically.
   */
  removed: { reason: 'duplicate_identity' | 'removed_by_admin' };
  /** An admin muted or unmuted one of your producers (the server paused/resumed it). */
  producerMuted: { producerId: string; muted: boolean };
}

export type NotificationName = keyof NotificationTypes;
export type NotificationData<N extends NotificationName> = NotificationTypes[N];
export type Notification = { [N in NotificationName]: { method: N; data: NotificationTypes[N] } }[NotificationName];
