/**
 * What an access token may carry: LiveKit's claim names and meanings, so tokens minted by
 * `livekit-server-sdk`'s AccessToken (or any JWT library following that format) work here unchanged.
 */
import type { MediaSource } from '../../../protocol/src';

/** The `video` claim. Unset publish/subscribe/data flags mean allowed, as in LiveKit. */
export interface VideoGrant {
  roomJoin?: boolean;
  room?: string;
  canPublish?: boolean;
  canSubscribe?: boolean;
  canPublishData?: boolean;
  /** LiveKit source names (camera, microphone, screen_share, screen_share_audio); unset = any. */
  canPublishSources?: string[];
  roomAdmin?: boolean;
  roomList?: boolean;
  roomCreate?: boolean;
  /** Joins without being listed to the other peers (recorders, monitors). */
  hidden?: boolean;
}

/** A verified token: who it is for and what it allows. */
export interface AccessClaims {
  /** The API key (`iss`) that signed it. */
  apiKey: string;
  /** `sub`: the participant's identity, unique in a room. */
  identity: string;
  name?: string;
  metadata?: string;
  video: VideoGrant;
  /** Unix seconds (`exp`). */
  expiresAt: number;
}

/** LiveKit's source names → ours. */
export const LIVEKIT_SOURCES: Record<string, MediaSource> = {
  camera: 'webcam',
  microphone: 'mic',
  screen_share: 'screen',
  screen_share_audio: 'screen-audio',
};

/** Our source names → LiveKit's (for minting). */
export const SOURCE_NAMES: Record<MediaSource, string> = {
  webcam: 'camera',
  mic: 'microphone',
  screen: 'screen_share',
  'screen-audio': 'screen_share_audio',
};

/** May this token publish from `source`? */
export function canPublishSource(video: VideoGrant, source: MediaSource): boolean {
  if (video.canPublish === false) return false;
  if (video.canPublishSources === undefined) return true;
  return video.canPublishSources.some((name) => LIVEKIT_SOURCES[name.toLowerCase()] === source);
}
