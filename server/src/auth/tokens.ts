/**
 * Verifies access tokens: HS256 JWTs signed with one of the configured API keys' secrets (`iss` names the
 * key). Every way a token can be wrong ends in a TokenError whose message says which, without echoing
 * the token or any secret.
 */
import { decodeJwt, errors, jwtVerify } from 'jose';
import type { AccessClaims, VideoGrant } from './grants';

export class TokenError extends Error {
  override name = 'TokenError';
}

/** Clock skew tolerated between the minting machine and this one. */
const CLOCK_TOLERANCE_S = 10;

const BOOLEAN_GRANTS = ['roomJoin', 'canPublish', 'canSubscribe', 'canPublishData', 'roomAdmin', 'roomList', 'roomCreate', 'hidden'] as const;

export class TokenVerifier {
  readonly #secrets: Map<string, Uint8Array>;

  /** `keys`: API key → secret. */
  constructor(keys: ReadonlyMap<string, string>) {
    this.#secrets = new Map([...keys].map(([key, secret]) => [key, new TextEncoder().encode(secret)]));
  }

  async verify(token: string): Promise<AccessClaims> {
    if (typeof token !== 'string' || token.length === 0) throw new TokenError('no access token');
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new TokenError('malformed access token (not a JWT)');
    }
    if (typeof issuer !== 'string') throw new TokenError('access token has no API key (iss)');
    const secret = this.#secrets.get(issuer);
    if (!secret) throw new TokenError(`unknown API key ${JSON.stringify(issuer.slice(0, 64))}`);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], issuer, clockTolerance: CLOCK_TOLERANCE_S }));
    } catch (error) {
      throw new TokenError(reason(error));
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) {
      throw new TokenError('access token has no identity (sub)');
    }
    if (typeof payload.exp !== 'number') throw new TokenError('access token has no expiry (exp)');
    return {
      apiKey: issuer,
      identity: payload.sub,
      ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
      ...(typeof payload.metadata === 'string' ? { metadata: payload.metadata } : {}),
      video: videoGrant(payload.video),
      expiresAt: payload.exp,
    };
  }
}

function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'access token expired';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') return 'access token not valid yet (nbf)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'access token signature does not verify';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'access token must be signed with HS256';
  if (error instanceof errors.JOSEError) return `invalid access token: ${error.message}`;
  return 'invalid access token';
}

/** The `video` claim, type-checked: a grant of the wrong type is a bad token, not a default. */
function videoGrant(raw: unknown): VideoGrant {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TokenError('access token grant `video` is not an object');
  const video = raw as Record<string, unknown>;
  const grant: VideoGrant = {};
  for (const name of BOOLEAN_GRANTS) {
    const value = video[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new TokenError(`access token grant video.${name} is not a boolean`);
    grant[name] = value;
  }
  if (video.room !== undefined) {
    if (typeof video.room !== 'string') throw new TokenError('access token grant video.room is not a string');
    grant.room = video.room;
  }
  if (video.canPublishSources !== undefined) {
    const sources = video.canPublishSources;
    if (!Array.isArray(sources) || !sources.every((s) => typeof s === 'string')) {
      throw new TokenError('access token grant video.canPublishSources is not a list of source names');
    }
    grant.canPublishSources = sources;
  }
  return grant;
}
