/** What every in-room handler gets: the peer making the request and its room. */
import { ProtocolError, type MethodName, type RequestData, type ResponseData } from '../../../../protocol/src';
import type { types } from 'mediasoup';
import type { Peer } from '../peer';
import type { Room } from '../room';

export interface HandlerContext {
  peer: Peer;
  room: Room;
}

export type Handler<M extends MethodName> = (ctx: HandlerContext, data: RequestData<M>) => Promise<ResponseData<M>>;

/**
 * Looks an id up in the peer's own map. Missing there: `forbidden` when another peer of the room owns it,
 * else `not_found` — so probing other peers' ids is refused, and says so.
 */
export function own<T>(ctx: HandlerContext, map: Map<string, T>, id: string, what: string): T {
  const mine = map.get(id);
  if (mine !== undefined) return mine;
  if (ctx.room.ownerOf(id)) throw new ProtocolError('forbidden', `${what} ${id} belongs to another peer`);
  throw new ProtocolError('not_found', `no ${what} ${id}`);
}

/**
 * mediasoup rejects bad parameters with TypeError/UnsupportedError (the client's fault), and operations
 * on an object that closed meanwhile (its producer went away) with InvalidStateError/NotFoundError.
 */
export async function mediasoupCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    const { name, message } = error as Error;
    if (name === 'TypeError' || name === 'UnsupportedError') throw new ProtocolError('bad_request', message);
    if (name === 'InvalidStateError' || name === 'NotFoundError') throw new ProtocolError('not_found', `already closed: ${message}`);
    throw error;
  }
}

export type AnyTransport = types.Transport;
export const empty = {} as Record<string, never>;
