/** What every in-room handler gets: the peer making the request and its room. */
import { ProtocolError, type IceServer, type MethodName, type RequestData, type ResponseData } from '../../../../protocol/src';
import type { Peer } from '../peer';
import type { Room } from '../room';

export interface HandlerContext {
  peer: Peer;
  room: Room;
  /** STUN/TURN servers with fresh credentials for this peer. */
  iceServers: () => IceServer[];
}

export type Handler<M extends MethodName> = (ctx: HandlerContext, data: RequestData<M>) => Promise<ResponseData<M>>;

/**
 * Looks an id up in the peer's own map. Missing there: `forbidden` when another peer of the room owns it,
 * else `not_found` — so probing other peers' ids is refused, and says so.
 */
export function own<T>(ctx: HandlerContext, map: Map<string, T>, id: string, what: string): T {
  const mine = map.get(id);
  if (mine !== undefined) return mine;
  return refuse(ctx, id, what);
}

/** The answer for an id the peer does not own: `forbidden` if another peer of the room owns it. */
export function refuse(ctx: HandlerContext, id: string, what: string): never {
  if (ctx.room.ownerOf(id)) throw new ProtocolError('forbidden', `${what} ${id} belongs to another peer`);
  throw new ProtocolError('not_found', `no ${what} ${id}`);
}

/**
 * mediasoup rejects bad parameters with TypeError/UnsupportedError (the client's fault), and operations
 * on an object that closed meanwhile (its producer went away) with InvalidStateError/NotFoundError.
 * A plain Error is the worker refusing the request as such — an SSRC or MID already used on the
 * transport, connect() called twice, a request too big: also the client's doing, so `bad_request` too
 * (found by the fuzz test, which got `internal` for these).
 */
export async function mediasoupCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    const { name, message } = error as Error;
    const workerRefusal = error instanceof Error && error.constructor === Error;
    if (name === 'TypeError' || name === 'UnsupportedError' || workerRefusal) throw new ProtocolError('bad_request', message);
    if (name === 'InvalidStateError' || name === 'NotFoundError') throw new ProtocolError('not_found', `already closed: ${message}`);
    throw error;
  }
}

export const empty = {} as Record<string, never>;
