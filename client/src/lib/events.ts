/**
 * The public vocabulary of a ConferenceSession: its connection states and the payload of every event.
 * Kept apart from session.ts so UI code and bots can import the types without the implementation.
 */
import type { MediaSource, Notification } from '../../../protocol/src';
import type { MediaConnectivity } from './media-connectivity';

/**
 * - connecting:   join() is running
 * - connected:    in the room, transports created, own tracks published
 * - reconnecting: the connection was lost; retrying with backoff, then rejoining and re-publishing
 * - closed:       not in a call — before join(), after leave(), or after giving up
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface RemotePeer {
  id: string;
  displayName: string;
}

export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  track: MediaStreamTrack;
  /** The sender has this track muted (its producer is paused); follow `trackMuted` for changes. */
  paused: boolean;
}

export interface ChatMessage {
  peerId: string;
  displayName: string;
  text: string;
  /** Receipt time (ms since epoch) — the sender's clock is not trusted. */
  at: number;
  /** Our own message, echoed by sendChat() (the SFU does not send it back to us). */
  self: boolean;
}

/** Browser-side statistics of one of our producers or consumers (RTCPeerConnection getStats). */
export interface LocalStatsSource {
  label: string;
  direction: 'in' | 'out';
  getStats(): Promise<RTCStatsReport>;
}

export type UnpublishReason =
  | 'local' // unpublish() was called
  | 'track-ended' // the track ended (e.g. the browser's "stop sharing" button)
  | 'server' // the server closed the producer
  | 'republish-failed'; // could not be published again after a reconnection

/**
 * Why the server ended our call for good (no reconnection follows): an admin closed the room, or took us
 * out of it (or the same identity joined elsewhere).
 */
export type EndReason = 'closed_by_admin' | 'removed_by_admin' | 'duplicate_identity';

export interface SessionEvents {
  connectionState: ConnectionState;
  /** Every successful join, including rejoins after a reconnection (the peer id changes then). */
  /** In the room; `publishSources`: what this peer's access lets it publish. */
  joined: { peerId: string; room: string; publishSources: MediaSource[] };
  /** The full, current list of other peers; emitted after every change. */
  peers: RemotePeer[];
  peerJoined: RemotePeer;
  peerLeft: RemotePeer;
  /** A remote track is ready to render (its consumer is resumed on the server). */
  track: RemoteTrack;
  /** A remote track is gone (producer closed, peer left, or our connection was reset). */
  trackEnded: { consumerId: string; peerId: string; kind: 'audio' | 'video'; source: MediaSource };
  /** The remote sender muted/unmuted the track. */
  trackMuted: { consumerId: string; peerId: string; muted: boolean };
  activeSpeaker: { peerId: string | null; producerId: string | null };
  /** Volumes in dBov (−127…0) of the loudest audio producers; an empty list means silence. */
  audioLevels: { peerId: string; producerId: string; volume: number }[];
  chat: ChatMessage;
  /**
   * An admin muted or unmuted one of our publications (the server paused or resumed its producer); the
   * session followed locally, and `publications` shows the new state.
   */
  adminMuted: { source: MediaSource; muted: boolean };
  /** The server ended the call (state is 'closed' already); show `reason` rather than offering a retry. */
  ended: { reason: EndReason };
  /** One of our publications stopped without being re-published. */
  unpublished: { source: MediaSource; reason: UnpublishReason };
  /** Every server notification, raw — for stats panels and bots (scores, layer changes…). */
  notification: Notification;
  /**
   * Whether audio/video gets through (ICE), for the whole call. 'failed' stays until 'connected': the
   * session keeps retrying (ICE restarts, then rejoins) meanwhile.
   */
  media: MediaConnectivity;
  /** A non-fatal problem (a consume or an ICE restart failed…); the session carries on. */
  error: { context: string; error: Error };
}
