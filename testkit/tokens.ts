/** Access tokens for tests: a key pair for AUTH_KEYS and minting with our minter (TestPeer.join takes the token). */
import { mintToken, type MintOptions } from '../server/src/auth/mint';

export const API_KEY = 'test-key';
export const API_SECRET = 'a-test-secret-that-is-long-enough-1234';
/** The environment of a server that requires tokens. */
export const AUTH_ENV = { AUTH_KEYS: `${API_KEY}:${API_SECRET}` };

/** A token for `room` and `identity` signed with the test key; `video` adds to or overrides roomJoin/room. */
export function tokenFor(room: string, identity: string, options: Partial<MintOptions> = {}): Promise<string> {
  return mintToken({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    identity,
    ...options,
    video: { roomJoin: true, room, ...options.video },
  });
}
