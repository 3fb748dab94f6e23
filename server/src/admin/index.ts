/**
 * The admin API under /admin/v1: one encapsulated Fastify plugin, so its error and not-found handlers, its
 * authentication hook and @fastify/swagger's route collection apply to admin routes only — the page,
 * /metrics, the health checks and the /ws WebSocket route are untouched.
 *
 *   GET    /admin/v1/openapi.json                                   public: the OpenAPI document
 *   GET    /admin/v1/rooms                                          video.roomList
 *   GET    /admin/v1/rooms/:room                                    video.roomAdmin + video.room
 *   DELETE /admin/v1/rooms/:room                                    〃
 *   DELETE /admin/v1/rooms/:room/peers/:peerId                      〃
 *   POST   /admin/v1/rooms/:room/peers/:peerId/producers/:id/mute   〃
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { AuthConfig } from '../config';
import type { AccessClaims } from '../auth/grants';
import { TokenVerifier } from '../auth/tokens';
import type { RoomDirectory } from '../rooms/room-directory';
import { AdminError, authenticate } from './access';
import { registerAdminRoutes } from './routes';
import { strictValidatorCompiler } from './validator';
import { ADMIN_PREFIX, ADMIN_TAG, type AdminErrorCode, type ErrorBody } from './schemas';

export interface AdminApiDeps {
  auth: AuthConfig;
  directory: RoomDirectory;
}

export const OPENAPI_PATH = `${ADMIN_PREFIX}/openapi.json`;

export async function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const verifier = deps.auth.open ? undefined : new TokenVerifier(deps.auth.keys);
  const claims = new WeakMap<FastifyRequest, AccessClaims>();
  const claimsOf = (request: FastifyRequest): AccessClaims => {
    const found = claims.get(request);
    if (!found) throw new Error('admin route reached without authentication');
    return found;
  };

  await app.register(
    async (admin) => {
      // Registered inside this plugin, swagger sees only the routes added here; hideUntagged is a second fence.
      await admin.register(swagger, {
        openapi: {
          info: {
            title: 'Confero admin API',
            version: '1',
            description:
              'Inspect and manage rooms. Every call needs `Authorization: Bearer <access token>` (LiveKit format, signed with ' +
              'one of AUTH_KEYS): video.roomList lists rooms; video.roomAdmin with video.room = R administers room R.',
          },
          tags: [{ name: ADMIN_TAG, description: 'Room administration' }],
          components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        },
        hideUntagged: true,
      });
      admin.setValidatorCompiler(strictValidatorCompiler);
      admin.setErrorHandler(adminErrorHandler);
      admin.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no admin route ${request.method} ${request.url.split('?')[0]}`));
      admin.get('/openapi.json', { schema: { hide: true } }, async () => admin.swagger());

      await admin.register(async (guarded) => {
        // onRequest: before the body is parsed or validated, so an unauthenticated caller learns nothing else.
        guarded.addHook('onRequest', async (request) => {
          claims.set(request, await authenticate(verifier, request.headers.authorization));
        });
        registerAdminRoutes(guarded, { directory: deps.directory, claimsOf });
      });
    },
    { prefix: ADMIN_PREFIX },
  );
}

function sendError(reply: FastifyReply, status: number, code: AdminErrorCode, message: string): FastifyReply {
  const body: ErrorBody = { error: { code, message } };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function adminErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AdminError) return sendError(reply.headers(error.headers), error.status, error.code, error.message);
  // Schema validation (params, body: see validator.ts) and Fastify's own 4xx (malformed JSON, wrong
  // content type, too large).
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendError(reply, status, status === 404 ? 'not_found' : 'bad_request', error.message);
  request.log.error({ err: error }, 'admin request failed');
  return sendError(reply, 500, 'internal', 'internal error');
}
