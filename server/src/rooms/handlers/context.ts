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

export const empty = {} as Record<string, never>;
