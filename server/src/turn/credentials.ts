/**
 * TURN credentials in the form of coturn's TURN REST API (`use-auth-secret`): the username is
 * `<unix expiry>:<peer id>` and the password is base64(HMAC-SHA1(secret, username)). coturn recomputes
 * the HMAC from its `static-auth-secret` and refuses the username after its expiry, so credentials are
 * minted per peer, need no shared database, and a leaked one dies by itself.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../../../protocol/src';
import type { IceConfig } from '../config';

export interface TurnCredential {
  username: string;
  credential: string;
}

export function turnCredential(secret: string, identity: string, expiresAtSeconds: number): TurnCredential {
  const username = `${expiresAtSeconds}:${identity}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The `iceServers` a peer is told: STUN as is, TURN with a credential valid for the configured TTL. */
export function iceServersFor(ice: IceConfig, identity: string, nowMs = Date.now()): IceServer[] {
  const servers: IceServer[] = [];
  if (ice.stunUrls.length > 0) servers.push({ urls: ice.stunUrls });
  if (ice.turnUrls.length > 0 && ice.turnSecret) {
    const expiresAt = Math.floor(nowMs / 1000) + ice.credentialTtlSeconds;
    servers.push({ urls: ice.turnUrls, ...turnCredential(ice.turnSecret, identity, expiresAt) });
  }
  return servers;
}
