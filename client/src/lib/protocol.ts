/**
 * The runtime values the client needs from the shared protocol, imported file by file on purpose: the
 * protocol's index also loads validate.ts, which compiles every request schema at import time with
 * generated code (new Function) — work the client never needs, and something a strict CSP forbids.
 * Type-only imports may use '../../../protocol/src' directly (they vanish at compile time).
 */
export { ERROR_CODES, ProtocolError, type ErrorCode } from '../../../protocol/src/errors';
export { PROTOCOL_VERSION, SOURCE_KIND } from '../../../protocol/src/methods';
