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
  ProtocolError,
  validateEnvelope,
  validateRequestData,
  type ErrorResponse,
  type NotificationName,
  type NotificationData,
} from '../../../protocol/src';
import { PeerSession, type SessionDeps } from '../rooms/session';

/** A message this much over the limit is not worth reading: ws closes the socket (code 1009). */
const HARD_LIMIT_FACTOR = 4;
/**
 * Heartbeat: a socket that answers no ping for two intervals is dead (a laptop lid closed, a NAT dropped
 * it) and is terminated, so the peer leaves the room instead of lingering as a ghost.
 */
const PING_INTERVAL_MS = 15_000;

export async function registerWsEndpoint(app: FastifyInstance, deps: SessionDeps): Promise<void> {
  const maxBytes = deps.limits.maxMessageBytes;
  await app.register(websocket, { options: { maxPayload: Math.max(maxBytes * HARD_LIMIT_FACTOR, 1 << 20) } });
  app.get('/ws', { websocket: true }, (socket: WebSocket) => {
    const log = deps.log.child({ conn: Math.random().toString(36).slice(2, 8) });
    const send = (message: unknown): void => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    };
    const notify = <N extends NotificationName>(method: N, data: NotificationData<N>): void => send({ method, data });
    const session = new PeerSession({ ...deps, log }, notify);

    socket.on('message', (raw, isBinary) => {
      void handleMessage(raw as Buffer, isBinary, maxBytes, session, send, log);
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

async function handleMessage(
  raw: Buffer,
  isBinary: boolean,
  maxBytes: number,
  session: PeerSession,
  send: (message: unknown) => void,
  log: Logger,
): Promise<void> {
  if (isBinary) return send(fail(null, new ProtocolError('invalid_message', 'binary frames are not accepted; send JSON text')));
  if (raw.length > maxBytes) {
    return send(fail(sniffId(raw.toString('utf8', 0, 256)), new ProtocolError('message_too_large', `message of ${raw.length} bytes exceeds the limit of ${maxBytes}`)));
  }
  const text = raw.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return send(fail(sniffId(text), new ProtocolError('invalid_message', 'not valid JSON')));
  }
  const envelope = validateEnvelope(parsed);
  if (!envelope.ok) {
    const id = typeof (parsed as { id?: unknown })?.id === 'number' ? (parsed as { id: number }).id : null;
    return send(fail(id, new ProtocolError('invalid_message', `expected {id, method, data}: ${envelope.message}`)));
  }
  const { id, method, data } = envelope.value;
  if (!isMethod(method)) return send(fail(id, new ProtocolError('unknown_method', `unknown method ${JSON.stringify(method)}`)));
  const checked = validateRequestData(method, data);
  if (!checked.ok) return send(fail(id, new ProtocolError('bad_request', `${method}: ${checked.message}`)));
  try {
    const result = await session.handle(method, checked.value);
    send({ id, ok: true, data: result });
  } catch (error) {
    if (error instanceof ProtocolError) return send(fail(id, error));
    log.error({ err: error, method }, 'request failed');
    send(fail(id, new ProtocolError('internal', `${method} failed: ${(error as Error).message}`)));
  }
}
