/**
 * Mints access tokens in LiveKit's format: for `npm run token`, the load test's bots and the tests.
 * Operators may equally mint them with livekit-server-sdk or any JWT library.
 */
import { SignJWT } from 'jose';
import type { VideoGrant } from './grants';

export interface MintOptions {
  apiKey: string;
  apiSecret: string;
  identity: string;
  name?: string;
  metadata?: string;
  video: VideoGrant;
  /** Seconds from now. Default 6 hours, as LiveKit's. */
  ttlSeconds?: number;
  /** Not valid before this many seconds from now (default: valid at once). */
  notBeforeSeconds?: number;
}

export async function mintToken(options: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { video: options.video };
  if (options.name !== undefined) claims.name = options.name;
  if (options.metadata !== undefined) claims.metadata = options.metadata;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.apiKey)
    .setSubject(options.identity)
    .setJti(options.identity)
    .setNotBefore(now + (options.notBeforeSeconds ?? 0))
    .setExpirationTime(now + (options.ttlSeconds ?? 6 * 3600))
    .sign(new TextEncoder().encode(options.apiSecret));
}
