/** Error codes a request can be answered with. Stable strings: clients switch on them. */
export const ERROR_CODES = [
  'invalid_message', // not JSON, or not a {id, method, data} request
  'message_too_large', // over the server's message size limit
  'unknown_method',
  'bad_request', // data does not match the method's schema, or mediasoup rejected the parameters
  'version_mismatch', // join with a protocol version the server does not speak
  'not_joined', // a room method before join
  'already_joined',
  'unauthorized', // join token missing or invalid (when the server requires one)
  'forbidden', // the object exists but belongs to another peer
  'not_found', // no such object (for this peer)
  'room_full',
  'limit_exceeded', // a per-peer limit (producers, transports, …)
  'unavailable', // no media worker can take the room right now
  'rate_limited', // too many requests or joins: slow down (the socket is closed if it keeps on)
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ProtocolErrorBody {
  code: ErrorCode;
  message: string;
}

/** Thrown by handlers (server) and by the client library when a request is answered with an error. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }

  toBody(): ProtocolErrorBody {
    return { code: this.code, message: this.message };
  }
}
