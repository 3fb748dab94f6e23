/**
 * Tokens in URLs: `/ws?access_token=…` (clients that cannot put it in join) and the page's `/?token=…`
 * join link. Fastify logs every request's URL, so both parameters are cut out of it before routing (its
 * rewriteUrl hook) and an access_token is kept aside, per request, for the WebSocket endpoint.
 */
import type { IncomingMessage } from 'node:http';

const TOKEN_PARAMS = ['access_token', 'token'];

const accessTokens = new WeakMap<IncomingMessage, string>();

/** For Fastify's rewriteUrl: the URL without token parameters; the access_token is remembered. */
export function urlWithoutTokens(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const query = new URLSearchParams(url.slice(queryAt + 1));
  if (!TOKEN_PARAMS.some((name) => query.has(name))) return url;
  const accessToken = query.get('access_token');
  if (accessToken !== null) accessTokens.set(request, accessToken);
  for (const name of TOKEN_PARAMS) query.delete(name);
  const rest = query.toString();
  return rest ? `${url.slice(0, queryAt)}?${rest}` : url.slice(0, queryAt);
}

/** The `access_token` query parameter this request came with, if any. */
export function accessTokenOf(request: IncomingMessage): string | undefined {
  return accessTokens.get(request);
}
