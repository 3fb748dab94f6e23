/**
 * What the admin API (/admin/v1) answers about rooms. The rooms layer builds these snapshots and the
 * HTTP edge serializes them through the same schemas (a field not listed here never leaves the server),
 * so they live here, below both. The routes' own envelopes, parameters and errors are in
 * server/src/admin/schemas.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ProducerInfo } from './methods';

const Worker = Type.Object({
  index: Type.Integer({ description: 'mediasoup worker slot' }),
  pid: Type.Integer({ description: 'worker process id' }),
});

export const RoomSummary = Type.Object({
  name: Type.String(),
  peers: Type.Integer(),
  producers: Type.Integer(),
  consumers: Type.Integer(),
  worker: Worker,
  createdAt: Type.String({ format: 'date-time' }),
});
export type RoomSummary = Static<typeof RoomSummary>;

export const PeerSummary = Type.Object({
  id: Type.String(),
  identity: Type.Optional(Type.String({ description: 'from the join token, when the peer joined with one' })),
  displayName: Type.String(),
  hidden: Type.Boolean({ description: 'joined with the hidden grant: not listed to the other peers' }),
  producers: Type.Array(ProducerInfo),
  consumers: Type.Integer(),
});
export type PeerSummary = Static<typeof PeerSummary>;

/** A room's summary with its peers listed instead of counted. */
export const RoomDetail = Type.Composite([Type.Omit(RoomSummary, ['peers']), Type.Object({ peers: Type.Array(PeerSummary) })]);
export type RoomDetail = Static<typeof RoomDetail>;
