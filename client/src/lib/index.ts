/**
 * The Confero client library: DOM-free, used by the browser page and by headless load-test bots.
 *
 *   const session = new ConferenceSession({ url: 'wss://host/ws', room: 'demo', displayName: 'Ada' });
 *   session.on('track', ({ track, peerId, source }) => …);
 *   await session.join();
 *   await session.publish(micTrack, { source: 'mic' });
 */
export { ConferenceSession } from './session';
export { prepareWebRtc } from './device';
export type { SessionOptions } from './options';
export type { ChatMessage, ConnectionState, EndReason, LocalStatsSource, RemotePeer, RemoteTrack, SessionEvents, UnpublishReason } from './events';
export type { PublishOptions } from './publishing';
export { CHAT_LABEL, MAX_CHAT_CHARS } from './chat';
export { Emitter, nextEvent, type Listener } from './emitter';
export {
  ConnectionClosedError,
  RequestTimeoutError,
  SignallingConnection,
  type SignallingEvents,
  type SignallingOptions,
  type WebSocketLike,
} from './signalling';
export { backoffDelay, DEFAULT_BACKOFF, isRetryable } from './recovery';
export { ICE_STUCK_MS, type MediaConnectivity, type MediaConnectivityState } from './media-connectivity';
export { ProtocolError, PROTOCOL_VERSION, type ErrorCode } from './protocol';
export type { MediaSource } from '../../../protocol/src';
