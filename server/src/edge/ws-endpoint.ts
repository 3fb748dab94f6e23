/**
 * The signalling endpoint /ws: one WebSocket per peer. This file is the boundary where untrusted bytes
 * become typed requests — size limit, JSON, envelope and per-method schema — before the rooms layer sees
 * them. Any failure answers that one request; the socket and the other peers carry on.
 */
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import {
  isMethod,
  PROTOCOL_VERSION,
  ProtocolError,
  validateEnvelope,
  validateRequestData,
  type ErrorCode,
  type ErrorResponse,
  type MethodName,
  type NotificationName,
  type NotificationData,
  type Response,
} from '../../../protocol/src';
import { PeerSession, type SessionDeps, type SessionMetrics } from '../rooms/session';
import type { WsLimits } from '../limits/ws-limits';
import { accessTokenOf } from '../auth/url-token';

/** A message this much over the limit is not worth reading: ws closes the socket (code 1009). */
const HARD_LIMIT_FACTOR = 4;
/**
 * Heartbeat: a socket that answers no ping for two intervals is dead (a laptop lid closed, a NAT dropped
 * it) and is terminated, so the peer leaves the room instead of lingering as a ghost.
 */
const PING_INTERVAL_MS = 15_000;
/** WebSocket close code (application range 4000–4999) for a peer the server took out of its room. */
export const CLOSE_REMOVED = 4001;

/** What the endpoint reports to the server's metrics, on top of what the sessions report. */
export interface WsMetrics extends SessionMetrics {
  countMessage(method: MethodName | 'invalid'): void;
  countError(method: MethodName | 'invalid', code: ErrorCode): void;
}

export interface WsEndpointDeps extends SessionDeps {
  metrics: WsMetrics;
  /** Connection caps, per-socket request rate and joins per address (server/src/limits). */
  wsLimits: WsLimits;
}

export async function registerWsEndpoint(app: FastifyInstance, deps: WsEndpointDeps): Promise<void> {
  const maxBytes = deps.limits.maxMessageBytes;
  await app.register(websocket, {
    options: { maxPayload: Math.max(maxBytes * HARD_LIMIT_FACTOR, 1 << 20) },
    // A malformed frame from the client (invalid UTF-8, over the hard limit: ws's WS_ERR_* codes) is the
    // client's fault and already logged at warn by the socket's own 'error' listener; the plugin's default
    // would log it at error. Anything else (the handler threw) stays an error.
    errorHandler: (error, socket, request) => {
      if (!String((error as { code?: unknown }).code).startsWith('WS_ERR_')) request.log.error({ err: error }, 'websocket handler failed');
      socket.terminate();
    },
  });
  app.get('/ws', { websocket: true }, (socket: WebSocket, request) => {
    // Over a connection cap: accepted, then closed at once with 1013 and why — a code and reason a
    // browser can read, unlike the status of a refused upgrade.
    const admission = deps.wsLimits.admit(request.ip);
    if (!admission.admitted) return socket.close(admission.closeCode, admission.reason);
    const limits = admission.connection;
    const log = deps.log.child({ conn: Math.random().toString(36).slice(2, 8) });
    const send = (message: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const notify = <N extends NotificationName>(method: N, data: NotificationData<N>): void => send({ method, data });
    // A removed peer's socket is closed with an application close code and the reason (after the
    // `removed` notification, which carries the same reason).
    const session = new PeerSession({ ...deps, log }, notify, (reason) => socket.close(CLOSE_REMOVED, reason), accessTokenOf(request.raw));
    // The router's capabilities before they are asked for: a joining client saves a round trip.
    deps.routerRtpCapabilities().then(
      (routerRtpCapabilities) => notify('welcome', { protocolVersion: PROTOCOL_VERSION, routerRtpCapabilities: routerRtpCapabilities as never }),
      () => undefined, // no live worker yet: getRouterRtpCapabilities answers with the reason
    );

    socket.on('message', (raw, isBinary) => {
      const refusal = limits.screenRequest();
      if (refusal) {
        send(fail(sniffId((raw as Buffer).toString('utf8', 0, 256)), refusal.error));
        if (refusal.close) socket.close(refusal.close.code, refusal.close.reason);
        return;
      }
      const request = parseRequest(raw as Buffer, isBinary, maxBytes);
      // Counted where the request is read and where it is answered: every answer goes through reply().
      const method = request.ok ? request.method : 'invalid';
      deps.metrics.countMessage(method);
      const reply = (response: Response): void => {
        if (!response.ok) deps.metrics.countError(method, response.error.code);
        send(response);
      };
      if (!request.ok) return reply(fail(request.id, request.error));
      const joinRefusal = request.method === 'join' ? limits.screenJoin() : undefined;
      if (joinRefusal) return reply(fail(request.id, joinRefusal));
      void handleRequest(request, session, log).then(reply);
    });
    let alive = true;
    socket.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, PING_INTERVAL_MS);
    socket.on('close', () => {
      clearInterval(heartbeat);
      limits.release();
      session.close();
    });
    socket.on('error', (error) => log.warn({ err: error }, 'websocket error'));
  });
}

function fail(id: number | null, error: ProtocolError): ErrorResponse {
  return { id, ok: false, error: error.toBody() };
}

/** Best effort to answer an unreadable message under its own id, so the client's request settles. */
function sniffId(text: string): number | null {
  const match = /"id"\s*:\s*(\d{1,15})\b/.exec(text.slice(0, 256));
  return match ? Number(match[1]) : null;
}

type ParsedRequest = { ok: true; id: number; method: MethodName; data: unknown } | { ok: false; id: number | null; error: ProtocolError };

/** Untrusted bytes → a request of a known method, or the error to answer (under the sender's id if it can be read). */
function parseRequest(raw: Buffer, isBinary: boolean, maxBytes: number): ParsedRequest {
  const refuse = (id: number | null, error: ProtocolError): ParsedRequest => ({ ok: false, id, error });
  if (isBinary) return refuse(null, new ProtocolError('invalid_message', 'binary frames are not accepted; send JSON text'));
  if (raw.length > maxBytes) {
    return refuse(
      sniffId(raw.toString('utf8', 0, 256)),
      new ProtocolError('message_too_large', `message of ${raw.length} bytes exceeds the limit of ${maxBytes}`),
    );
  }
  const text = raw.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse(sniffId(text), new ProtocolError('invalid_message', 'not valid JSON'));
  }
  const envelope = validateEnvelope(parsed);
  if (!envelope.ok) {
    const id = typeof (parsed as { id?: unknown })?.id === 'number' ? (parsed as { id: number }).id : null;
    return refuse(id, new ProtocolError('invalid_message', `expected {id, method, data}: ${envelope.message}`));
  }
  const { id, method, data } = envelope.value;
  if (!isMethod(method)) return refuse(id, new ProtocolError('unknown_method', `unknown method ${JSON.stringify(method)}`));
  return { ok: true, id, method, data };
}

/** A known method's data checked against its schema, then handled by the session; never rejects. */
async function handleRequest({ id, method, data }: { id: number; method: MethodName; data: unknown }, session: PeerSession, log: Logger): Promise<Response> {
  const checked = validateRequestData(method, data);
  if (!checked.ok) return fail(id, new ProtocolError('bad_request', `${method}: ${checked.message}`));
  try {
    return { id, ok: true, data: await session.handle(method, checked.value) };
  } catch (error) {
    if (error instanceof ProtocolError) return fail(id, error);
    log.error({ err: error, method }, 'request failed');
    return fail(id, new ProtocolError('internal', `${method} failed: ${(error as Error).message}`));
  }
}
