/**
 * What a peer may do in its room. The rooms layer only sees this interface: the edge decides it at join
 * (from an access token, see auth/permissions.ts, or everything in open mode) and hands it down.
 */
import { MEDIA_SOURCES, type MediaSource, type MethodName, type RequestData } from '../../../protocol/src';

export interface PeerAccess {
  /** Who the peer is (the token's `sub`); undefined in open mode, where each peer is its own identity. */
  readonly identity?: string;
  /** The token's `name`: shown instead of the display name the client asked for. */
  readonly name?: string;
  /** Not announced to the other peers (recorders, monitors). */
  readonly hidden: boolean;
  /** May receive media and data (a receive transport, consumers). */
  readonly canSubscribe: boolean;
  /** The sources it may publish, told to the client on join (check() enforces them). */
  readonly publishSources: readonly MediaSource[];
  /** Throws `forbidden`, naming the missing grant, if the peer may not make this request. */
  check<M extends MethodName>(method: M, data: RequestData<M>): void;
}

/** Open mode: no token, every permission. */
export const OPEN_ACCESS: PeerAccess = {
  hidden: false,
  canSubscribe: true,
  publishSources: MEDIA_SOURCES,
  check: () => undefined,
};

/**
 * Decides a joining peer's access to `room` from its token (join.token, else the connection's
 * `access_token`); throws ProtocolError `unauthorized` with the reason when it may not join.
 */
export type Authorize = (room: string, token: string | undefined) => Promise<PeerAccess>;

export const openAuthorize: Authorize = async () => OPEN_ACCESS;
