/**
 * An access token's grants as per-request checks: one rule per method that needs a grant, each refusal a
 * `forbidden` naming the grant, so a client (or its developer) knows which token to ask for instead.
 * Methods not listed act only on the peer's own objects, which it could only create with the grant.
 */
import { MEDIA_SOURCES, ProtocolError, type MethodName, type RequestData } from '../../../protocol/src';
import type { PeerAccess } from '../rooms/access';
import { canPublishSource, SOURCE_NAMES, type AccessClaims, type VideoGrant } from './grants';

/** A refusal's reason, or undefined when allowed. */
type Rule<M extends MethodName> = (video: VideoGrant, data: RequestData<M>) => string | undefined;

const DENIED = 'your access token does not grant';

const RULES: { [M in MethodName]?: Rule<M> } = {
  createTransport: (video, data) => {
    if (data.direction === 'recv') return video.canSubscribe === false ? `${DENIED} canSubscribe: no receive transport` : undefined;
    if (video.canPublish !== false) return undefined;
    // Chat without media: canPublishData alone opens a send transport for DataChannels only.
    if (video.canPublishData !== false && data.enableSctp === true && data.type !== 'plain') return undefined;
    return `${DENIED} canPublish: no send transport${video.canPublishData !== false ? ' (for data only, create it with enableSctp)' : ''}`;
  },
  produce: (video, data) => {
    if (video.canPublish === false) return `${DENIED} canPublish`;
    if (canPublishSource(video, data.source)) return undefined;
    return `${DENIED} publishing ${data.source} (canPublishSources: ${(video.canPublishSources ?? []).join(', ') || 'none'}; this source is ${SOURCE_NAMES[data.source]})`;
  },
  produceData: (video) => (video.canPublishData === false ? `${DENIED} canPublishData` : undefined),
};

/** The grants of a verified token as a peer's access. */
export function accessFromClaims(claims: AccessClaims): PeerAccess {
  const { video } = claims;
  return {
    identity: claims.identity,
    ...(claims.name !== undefined && claims.name.trim() !== '' ? { name: claims.name.trim().slice(0, 64) } : {}),
    hidden: video.hidden === true,
    canSubscribe: video.canSubscribe !== false,
    publishSources: MEDIA_SOURCES.filter((source) => canPublishSource(video, source)),
    check(method, data) {
      const rule = RULES[method] as Rule<typeof method> | undefined;
      const refusal = rule?.(video, data);
      if (refusal !== undefined) throw new ProtocolError('forbidden', refusal);
    },
  };
}
