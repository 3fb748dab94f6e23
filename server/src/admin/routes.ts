/**
 * The admin routes proper. Each one checks the caller's grant first, then finds its room (and peer) and
 * calls one room-layer operation. The caller was authenticated by the plugin's onRequest hook.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RoomDetail } from '../../../protocol/src';
import type { AccessClaims } from '../auth/grants';
import { describePeers, setProducerMuted, summarizeRoom } from '../rooms/admin-ops';
import type { Peer } from '../rooms/peer';
import type { Room } from '../rooms/room';
import type { RoomDirectory } from '../rooms/room-directory';
import { AdminError, requireRoomAdmin, requireRoomList } from './access';
import { routeSchemas, type MuteBody, type MuteResult, type PeerParams, type ProducerParams, type RoomList, type RoomParams } from './schemas';

export interface AdminRouteDeps {
  directory: RoomDirectory;
  /** The verified token of a request (set by the authentication hook). */
  claimsOf(request: FastifyRequest): AccessClaims;
}

export function registerAdminRoutes(admin: FastifyInstance, { directory, claimsOf }: AdminRouteDeps): void {
  const administeredRoom = (request: FastifyRequest, name: string): Room => {
    requireRoomAdmin(claimsOf(request), name);
    const room = directory.get(name);
    if (!room || room.closed) throw new AdminError(404, 'not_found', `no room ${JSON.stringify(name)}`);
    return room;
  };
  const peerIn = (room: Room, peerId: string): Peer => {
    const peer = room.peers.get(peerId);
    if (!peer) throw new AdminError(404, 'not_found', `no peer ${JSON.stringify(peerId)} in room ${JSON.stringify(room.name)}`);
    return peer;
  };
  /** Who did what, for the log: the admin's identity and key, never the token. */
  const audit = (request: FastifyRequest, details: Record<string, unknown>, message: string): void => {
    const { identity, apiKey } = claimsOf(request);
    request.log.info({ admin: identity, apiKey, ...details }, message);
  };

  admin.get('/rooms', { schema: routeSchemas.listRooms }, async (request): Promise<RoomList> => {
    requireRoomList(claimsOf(request));
    return {
      rooms: directory
        .list()
        .filter((room) => !room.closed)
        .map(summarizeRoom),
    };
  });

  admin.get<{ Params: RoomParams }>('/rooms/:room', { schema: routeSchemas.getRoom }, async (request): Promise<RoomDetail> => {
    const room = administeredRoom(request, request.params.room);
    return { ...summarizeRoom(room), peers: describePeers(room) };
  });

  admin.delete<{ Params: RoomParams }>('/rooms/:room', { schema: routeSchemas.closeRoom }, async (request, reply) => {
    const room = administeredRoom(request, request.params.room);
    audit(request, { room: room.name, peers: room.peers.size }, 'admin closed room');
    room.close('closed_by_admin');
    return reply.code(204).send();
  });

  admin.delete<{ Params: PeerParams }>('/rooms/:room/peers/:peerId', { schema: routeSchemas.removePeer }, async (request, reply) => {
    const room = administeredRoom(request, request.params.room);
    const peer = peerIn(room, request.params.peerId);
    audit(request, { room: room.name, peer: peer.id }, 'admin removed peer');
    room.kick(peer, 'removed_by_admin');
    return reply.code(204).send();
  });

  admin.post<{ Params: ProducerParams; Body: MuteBody }>(
    '/rooms/:room/peers/:peerId/producers/:producerId/mute',
    { schema: routeSchemas.muteProducer },
    async (request): Promise<MuteResult> => {
      const { params, body } = request;
      const room = administeredRoom(request, params.room);
      const peer = peerIn(room, params.peerId);
      const producer = await setProducerMuted(peer, params.producerId, body.muted);
      if (!producer) {
        throw new AdminError(404, 'not_found', `peer ${JSON.stringify(peer.id)} has no producer ${JSON.stringify(params.producerId)}`);
      }
      audit(
        request,
        { room: room.name, peer: peer.id, producer: producer.id, muted: body.muted },
        body.muted ? 'admin muted producer' : 'admin unmuted producer',
      );
      return { producer };
    },
  );
}
