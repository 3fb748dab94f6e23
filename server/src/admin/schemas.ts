/**
 * The admin API's contract as TypeBox schemas: Fastify validates params and bodies with them, serializes
 * responses through them (a field not listed here never leaves the server) and @fastify/swagger turns them
 * into the OpenAPI document. The room, peer and producer shapes themselves are the protocol's
 * (protocol/src/admin.ts), since the rooms layer builds them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ProducerInfo, RoomDetail, RoomName, RoomSummary } from '../../../protocol/src';

export const ADMIN_PREFIX = '/admin/v1';
/** The OpenAPI tag of every admin route: the document lists only routes carrying it. */
export const ADMIN_TAG = 'admin';

export const ADMIN_ERROR_CODES = ['bad_request', 'unauthorized', 'forbidden', 'not_found', 'internal'] as const;
export type AdminErrorCode = (typeof ADMIN_ERROR_CODES)[number];

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Unsafe<AdminErrorCode>({ type: 'string', enum: [...ADMIN_ERROR_CODES] }),
      message: Type.String(),
    }),
  },
  { description: 'Every failure, whatever the status' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Same limits as the protocol's ids (mediasoup and peer ids are UUIDs). */
const ObjectId = Type.String({ minLength: 1, maxLength: 64 });

export const RoomParams = Type.Object({ room: RoomName });
export type RoomParams = Static<typeof RoomParams>;
export const PeerParams = Type.Object({ room: RoomName, peerId: ObjectId });
export type PeerParams = Static<typeof PeerParams>;
export const ProducerParams = Type.Object({ room: RoomName, peerId: ObjectId, producerId: ObjectId });
export type ProducerParams = Static<typeof ProducerParams>;

export const MuteBody = Type.Object(
  { muted: Type.Boolean({ description: 'true pauses the producer on the server, false resumes it' }) },
  { additionalProperties: false },
);
export type MuteBody = Static<typeof MuteBody>;

export const RoomList = Type.Object({ rooms: Type.Array(RoomSummary) });
export type RoomList = Static<typeof RoomList>;

export const MuteResult = Type.Object({ producer: ProducerInfo });
export type MuteResult = Static<typeof MuteResult>;

/** The error statuses each kind of route can answer, for the OpenAPI document. */
const errors = (...statuses: number[]): Record<number, typeof ErrorBody> => Object.fromEntries(statuses.map((status) => [status, ErrorBody]));

const AUTH = [{ bearerAuth: [] }];

export const routeSchemas = {
  listRooms: {
    tags: [ADMIN_TAG],
    summary: 'List every room (needs video.roomList)',
    security: AUTH,
    response: { 200: RoomList, ...errors(401, 403) },
  },
  getRoom: {
    tags: [ADMIN_TAG],
    summary: 'One room with its peers and their producers (needs video.roomAdmin for this room)',
    security: AUTH,
    params: RoomParams,
    response: { 200: RoomDetail, ...errors(400, 401, 403, 404) },
  },
  closeRoom: {
    tags: [ADMIN_TAG],
    summary: 'Close the room: every peer gets roomClosed closed_by_admin (needs video.roomAdmin)',
    security: AUTH,
    params: RoomParams,
    response: { 204: Type.Null({ description: 'closed' }), ...errors(400, 401, 403, 404) },
  },
  removePeer: {
    tags: [ADMIN_TAG],
    summary: 'Remove a peer: it gets removed (removed_by_admin) and its socket is closed (needs video.roomAdmin)',
    security: AUTH,
    params: PeerParams,
    response: { 204: Type.Null({ description: 'removed' }), ...errors(400, 401, 403, 404) },
  },
  muteProducer: {
    tags: [ADMIN_TAG],
    summary: "Pause or resume a peer's producer on the server; the owner gets producerMuted (needs video.roomAdmin)",
    security: AUTH,
    params: ProducerParams,
    body: MuteBody,
    response: { 200: MuteResult, ...errors(400, 401, 403, 404) },
  },
};
