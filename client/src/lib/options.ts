/** ConferenceSession's options and their defaults. */
import type { types } from 'mediasoup-client';

export interface SessionOptions {
  /** The signalling endpoint, e.g. wss://host/ws. */
  url: string;
  room: string;
  displayName: string;
  /** Join token, for servers that require one. */
  token?: string;
  /** mediasoup-client handler factory; Node tests and bots pass FakeHandler.createFactory(...). */
  handlerFactory?: types.HandlerFactory;
  /** Only use TURN relay candidates (iceTransportPolicy 'relay'). Default false. */
  forceRelay?: boolean;
  /** Open DataChannels for chat. Default true. */
  enableDataChannels?: boolean;
  /** Rejoin automatically when the connection is lost. Default true. */
  reconnect?: boolean;
  /** Reconnection attempts before giving up (state 'closed'). Default 30 (about two minutes). */
  maxReconnectAttempts?: number;
  /** Per-request timeout. Default 10 s. */
  requestTimeoutMs?: number;
}

type Defaulted = 'forceRelay' | 'enableDataChannels' | 'reconnect' | 'maxReconnectAttempts' | 'requestTimeoutMs';
export type ResolvedOptions = SessionOptions & Required<Pick<SessionOptions, Defaulted>>;

export function resolveOptions(options: SessionOptions): ResolvedOptions {
  return {
    forceRelay: false,
    enableDataChannels: true,
    reconnect: true,
    maxReconnectAttempts: 30,
    requestTimeoutMs: 10_000,
    ...options,
  };
}
