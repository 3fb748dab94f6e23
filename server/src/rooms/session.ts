/**
 * One signalling connection's state: not joined → joined (a Peer in a Room) → left. Requests are run one
 * at a time in arrival order, so a client's produce-then-close or join-then-createTransport can never
 * race each other; a failing request answers with its error and leaves the session usable.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { types } from 'mediasoup';
import { PROTOCOL_VERSION, ProtocolError, type IceServer, type MethodName, type RequestData, type ResponseData } from '../../../protocol/src';
import type { RoomLimits } from '../config';
import { Peer, type Disconnect, type Notify } from './peer';
import type { Authorize, PeerAccess } from './access';
import type { Room } from './room';
import type { RoomDirectory } from './room-directory';
import { isRoomMethod, runRoomMethod } from './handlers';
import { checkedRtpCapabilities } from './capabilities';

export interface SessionDeps {
  directory: RoomDirectory;
  limits: RoomLimits;
  /** STUN/TURN servers for this peer, with credentials minted for it (fresh on every call). */
  iceServers: (peerId: string) => IceServer[];
  routerRtpCapabilities: () => Promise<types.RtpCapabilities>;
  log: Logger;
  metrics: SessionMetrics;
  /** Who may join which room with what permissions (the edge's token check, or open mode). */
  authorize: Authorize;
}

/** What the rooms layer reports to the server's metrics (it never sees prom-client itself). */
export interface SessionMetrics {
  /** A join succeeded, this long after it was received (time queued behind earlier requests included). */
  observeJoin(seconds: number): void;
}

export class PeerSession {
  #queue: Promise<unknown> = Promise.resolve();
  #joined: { peer: Peer; room: Room } | undefined;
  #closed = false;

  constructor(
    private readonly deps: SessionDeps,
    private readonly notify: Notify,
    /** Closes this session's connection (the peer was removed from its room and told why). */
    private readonly disconnect: Disconnect = () => undefined,
    /** The connection's own token (`/ws?access_token=`), used when join carries none. Never logged. */
    private readonly connectionToken?: string,
  ) {}

  get peerId(): string | undefined {
    return this.#joined?.peer.id;
  }

  /** Runs after every earlier request of this session has finished. */
  handle<M extends MethodName>(method: M, data: RequestData<M>): Promise<ResponseData<M>> {
    const received = performance.now();
    const run = this.#queue.then(() => this.#dispatch(method, data));
    this.#queue = run.catch(() => undefined);
    if (method === 'join') {
      // Registered before the caller awaits `run`, so the histogram has it by the time the answer is sent.
      void run.then(
        () => this.deps.metrics.observeJoin((performance.now() - received) / 1000),
        () => undefined,
      );
    }
    return run;
  }

  async #dispatch<M extends MethodName>(method: M, data: RequestData<M>): Promise<ResponseData<M>> {
    if (this.#closed) throw new ProtocolError('not_joined', 'the connection is closing');
    if (method === 'getRouterRtpCapabilities') {
      return { routerRtpCapabilities: await this.deps.routerRtpCapabilities() } as ResponseData<M>;
    }
    if (method === 'join') return (await this.#join(data as RequestData<'join'>)) as ResponseData<M>;
    const joined = this.#current();
    if (method === 'leave') {
      this.#leave();
      return {} as ResponseData<M>;
    }
    if (!isRoomMethod(method)) throw new ProtocolError('unknown_method', `unknown method ${method}`);
    joined.peer.access.check(method, data);
    return runRoomMethod(method, { ...joined, iceServers: () => this.deps.iceServers(joined.peer.id) }, data);
  }

  /** The joined peer and room, if any; a room closed under us (worker died) counts as not joined. */
  #live(): { peer: Peer; room: Room } | undefined {
    if (this.#joined && (this.#joined.room.closed || this.#joined.peer.closed)) this.#joined = undefined;
    return this.#joined;
  }

  #current(): { peer: Peer; room: Room } {
    const joined = this.#live();
    if (!joined) throw new ProtocolError('not_joined', 'join a room first');
    return joined;
  }

  async #join(data: RequestData<'join'>): Promise<ResponseData<'join'>> {
    if (data.protocolVersion !== PROTOCOL_VERSION) {
      throw new ProtocolError('version_mismatch', `server speaks protocol version ${PROTOCOL_VERSION}, not ${data.protocolVersion}`);
    }
    const rtpCapabilities = checkedRtpCapabilities(data.rtpCapabilities);
    const joined = this.#live();
    if (joined) throw new ProtocolError('already_joined', `already in room ${joined.room.name}`);
    const access = await this.deps.authorize(data.room, data.token ?? this.connectionToken);
    let room: Room;
    try {
      room = await this.deps.directory.acquire(data.room);
    } catch (error) {
      if (error instanceof ProtocolError) throw error; // a refusal (shutting down, a limit), not a failure
      this.deps.log.error({ err: error, room: data.room }, 'cannot open room');
      throw new ProtocolError('unavailable', 'no media worker can take this room right now');
    }
    const disconnect: Disconnect = (reason) => {
      this.#joined = undefined;
      this.close();
      this.disconnect(reason);
    };
    const displayName = access.name ?? data.displayName;
    const peer = new Peer(randomUUID(), displayName, rtpCapabilities, this.notify, disconnect, access);
    const others = [...room.peers.values()].filter((p) => !p.hidden && p.identity !== peer.identity).map((p) => p.info());
    replaceSameIdentity(room, access);
    room.add(peer);
    this.#joined = { peer, room };
    this.deps.log.info({ room: room.name, peer: peer.id, identity: peer.identity, worker: room.media.workerIndex }, 'peer joined');
    return {
      peerId: peer.id,
      room: room.name,
      routerRtpCapabilities: room.router.rtpCapabilities as never,
      peers: others,
      iceServers: this.deps.iceServers(peer.id),
      limits: {
        maxPeersPerRoom: this.deps.limits.maxPeersPerRoom,
        maxProducersPerPeer: this.deps.limits.maxProducersPerPeer,
        maxMessageBytes: this.deps.limits.maxMessageBytes,
      },
      publishSources: [...access.publishSources],
    };
  }

  #leave(): void {
    const joined = this.#joined;
    this.#joined = undefined;
    if (!joined) return;
    joined.room.remove(joined.peer);
    this.deps.log.info({ room: joined.room.name, peer: joined.peer.id }, 'peer left');
  }

  /** The socket closed: release everything, after any request still running. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#queue.then(() => this.#leave());
  }
}

/**
 * One identity, one membership: a second connection with the same identity (a reload, another tab)
 * takes over, and the first is removed and told so before the new one is announced.
 */
function replaceSameIdentity(room: Room, access: PeerAccess): void {
  if (access.identity === undefined) return;
  for (const other of room.peers.values()) {
    if (other.identity === access.identity) room.kick(other, 'duplicate_identity');
  }
}
