/**
 * Who may join: with API keys configured, holders of a valid access token for that room; in open mode,
 * anyone. Every refusal is `unauthorized` with the reason (never the token itself), and the connection
 * stays usable so the client can join again with a better token.
 */
import { ProtocolError } from '../../../protocol/src';
import type { AuthConfig } from '../config';
import { openAuthorize, type Authorize } from '../rooms/access';
import { accessFromClaims } from './permissions';
import { TokenError, TokenVerifier } from './tokens';

export function createAuthorizer(auth: AuthConfig): Authorize {
  if (auth.open) return openAuthorize;
  const verifier = new TokenVerifier(auth.keys);
  return async (room, token) => {
    if (token === undefined || token === '') {
      throw unauthorized('this server needs an access token: send it as join.token or the access_token query parameter of /ws');
    }
    let claims;
    try {
      claims = await verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenError) throw unauthorized(error.message);
      throw error;
    }
    const { video } = claims;
    if (video.roomJoin !== true) throw unauthorized('access token does not grant roomJoin');
    if (video.room === undefined || video.room === '') throw unauthorized('access token names no room (video.room)');
    if (video.room !== room) throw unauthorized(`access token is for room ${JSON.stringify(video.room)}, not ${JSON.stringify(room)}`);
    return accessFromClaims(claims);
  };
}

function unauthorized(message: string): ProtocolError {
  return new ProtocolError('unauthorized', message);
}
