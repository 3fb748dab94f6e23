/**
 * Who may call the admin API, with LiveKit's meanings of the grants: `video.roomList` lists every room;
 * `video.roomAdmin` together with `video.room` = R administers room R only (inspect, remove a peer, mute,
 * close). Grants are checked before a room is looked up, so a token for room A cannot even learn whether
 * room B exists (403, never 404).
 *
 * Messages say what is wrong with a token without echoing it or any secret.
 */
import type { AccessClaims } from '../auth/grants';
import { TokenError, type TokenVerifier } from '../auth/tokens';
import type { AdminErrorCode } from './schemas';

export class AdminError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404,
    readonly code: AdminErrorCode,
    message: string,
    /** Extra response headers (WWW-Authenticate on a 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

const REALM = 'confero-admin';

/** RFC 6750: no credentials → the bare challenge; bad credentials → error="invalid_token" too. */
function unauthorized(message: string, tokenGiven: boolean): AdminError {
  const challenge = tokenGiven ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`;
  return new AdminError(401, 'unauthorized', message, { 'www-authenticate': challenge });
}

/**
 * Without AUTH_KEYS nobody can hold a valid token, so every admin call is refused. 403 rather than 401:
 * no credentials would help until the operator configures keys. Serving the API unauthenticated instead
 * would let anyone who reaches the server end every call.
 */
export const OPEN_MODE_MESSAGE =
  'the admin API is disabled: this server runs without AUTH_KEYS (open mode), and an admin API open to anyone ' +
  'would let anyone end calls — set AUTH_KEYS and call it with a token carrying video.roomAdmin or video.roomList';

export async function authenticate(verifier: TokenVerifier | undefined, authorization: string | undefined): Promise<AccessClaims> {
  if (!verifier) throw new AdminError(403, 'forbidden', OPEN_MODE_MESSAGE);
  if (authorization === undefined || authorization.trim() === '') {
    throw unauthorized('missing Authorization header: send `Authorization: Bearer <access token>`', false);
  }
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  if (!match) throw unauthorized('the Authorization header must be `Bearer <access token>`', true);
  try {
    return await verifier.verify(match[1]!);
  } catch (error) {
    if (error instanceof TokenError) throw unauthorized(error.message, true);
    throw error;
  }
}

export function requireRoomList(claims: AccessClaims): void {
  if (claims.video.roomList !== true) {
    throw new AdminError(403, 'forbidden', 'this token may not list rooms (it needs the video.roomList grant)');
  }
}

export function requireRoomAdmin(claims: AccessClaims, room: string): void {
  const { roomAdmin, room: granted } = claims.video;
  if (roomAdmin !== true) {
    throw new AdminError(403, 'forbidden', `this token may not administer rooms (it needs video.roomAdmin with video.room = "${room}")`);
  }
  if (granted === undefined || granted === '') {
    throw new AdminError(403, 'forbidden', 'this token has video.roomAdmin but no video.room, so it administers no room');
  }
  if (granted !== room) {
    throw new AdminError(403, 'forbidden', `this token administers room ${JSON.stringify(granted.slice(0, 64))}, not ${JSON.stringify(room)}`);
  }
}
