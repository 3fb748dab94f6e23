/**
 * ConferenceSession: the whole client side of a call, for the browser page and for headless bots alike.
 * It owns the connection lifecycle (join, loss, reconnection with backoff, leave) and routes server
 * notifications to the parts that handle them:
 *
 *   RoomLink     one membership: socket, Device, join, transports        (room-link.ts, transports.ts)
 *   PeerList     who else is in the room                                    (peers.ts)
 *   RemoteMedia  auto-consumed remote tracks                                (consumers.ts)
 *   Publisher    our tracks, remembered across reconnections                (publishing.ts)
 *   Chat         DataChannel chat                                           (chat.ts)
 *
 * Recovery has one path: throw the RoomLink away and rejoin from scratch, then re-publish.
 */
import type { types } from 'mediasoup-client';
import type { MediaSource, MethodName, Notification, RequestData, ResponseData } from '../../../protocol/src';
import { ProtocolError } from './protocol';
import { isRetryable, rejoinDelay, sleep, type RejoinCause } from './recovery';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from './options';
import { Chat } from './chat';
import { RemoteMedia } from './consumers';
import { DeviceSlot } from './device';
import { Emitter } from './emitter';
import type { ChatMessage, ConnectionState, EndReason, LocalStatsSource, RemotePeer, RemoteTrack, SessionEvents } from './events';
import { PeerList } from './peers';
import { Publisher, type PublishOptions } from './publishing';
import { RoomLink, type LinkSettings } from './room-link';
import { ConnectionClosedError } from './signalling';
import { MediaConnectivityWatch } from './media-connectivity';

/** leave() tells the server, but does not wait long for a server that is gone. */
const LEAVE_TIMEOUT_MS = 1_500;
/** join() waits at most this long for the remote media already in the room to be set up; chat as long for it to connect. */
const INITIAL_MEDIA_WAIT_MS = 3_000;

export class ConferenceSession extends Emitter<SessionEvents> {
  readonly #options: ResolvedOptions;
  readonly #devices: DeviceSlot;
  readonly #peers = new PeerList(this);
  readonly #remote = new RemoteMedia(this);
  readonly #publisher = new Publisher(this);
  readonly #chat = new Chat(this, (peerId) => this.#peers.get(peerId)?.displayName ?? 'unknown');
  #state: ConnectionState = 'closed';
  #link: RoomLink | undefined;
  #mediaWatch: MediaConnectivityWatch | undefined;
  /** One per join() … leave(); aborting it stops a running connect or reconnection loop. */
  #run: AbortController | undefined;
  #peerId: string | undefined;
  /** Set by roomClosed just before the link is lost; #reconnect reads it (and resets it) for its delays. */
  #rejoinCause: RejoinCause = 'lost';

  constructor(options: SessionOptions) {
    super();
    this.#options = resolveOptions(options);
    this.#devices = new DeviceSlot(options.handlerFactory);
  }

  get connectionState(): ConnectionState {
    return this.#state;
  }
  /** Our peer id in the current membership (changes on every rejoin). */
  get peerId(): string | undefined {
    return this.#peerId;
  }
  get displayName(): string {
    return this.#options.displayName;
  }
  get room(): string {
    return this.#options.room;
  }
  get peers(): RemotePeer[] {
    return this.#peers.list();
  }
  get remoteTracks(): RemoteTrack[] {
    return this.#remote.tracks();
  }
  get publications(): ReturnType<Publisher['list']> {
    return this.#publisher.list();
  }
  get chatReady(): boolean {
    return this.#chat.ready;
  }
  /** The mediasoup Device, once loaded (for canProduce() and capability checks). */
  get device(): types.Device | undefined {
    return this.#devices.device;
  }

  /** Connects and joins the room. Rejects (state back to 'closed') if the first attempt fails. */
  async join(): Promise<void> {
    if (this.#state !== 'closed') throw new Error(`join() called while ${this.#state}`);
    const run = new AbortController();
    this.#run = run;
    this.#setState('connecting');
    try {
      await this.#connect(run);
    } catch (error) {
      if (this.#run === run) this.#close();
      throw error;
    }
    this.#setState('connected');
  }

  /** Leaves the room and releases everything; no reconnection after this. */
  async leave(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    run.abort();
    const link = this.#link;
    if (link && !link.closed && link.signalling.isOpen) {
      await Promise.race([link.signalling.request('leave', {}).catch(() => undefined), sleep(LEAVE_TIMEOUT_MS)]);
    }
    this.#close();
  }

  /** Publishes a track as `source` (one track per source; publishing again replaces it). */
  async publish(track: MediaStreamTrack, options: PublishOptions): Promise<types.Producer> {
    return this.#publisher.publish(this.#connectedLink(), track, options);
  }

  unpublish(source: MediaSource): Promise<void> {
    return this.#publisher.unpublish(this.#link, source, 'local');
  }

  /** Mutes/unmutes a published source; also works while reconnecting (applied on re-publish). */
  setMuted(source: MediaSource, muted: boolean): Promise<void> {
    return this.#publisher.setMuted(this.#link, source, muted);
  }

  /** Replaces a publication's track (e.g. another camera) without republishing. */
  replaceTrack(source: MediaSource, track: MediaStreamTrack): Promise<void> {
    return this.#publisher.replaceTrack(source, track);
  }

  /** Sends a chat message; it is also emitted locally as a `chat` event with self: true. */
  sendChat(text: string): ChatMessage {
    const peerId = this.#peerId;
    if (!peerId || this.#state !== 'connected') throw new Error('not connected');
    const message = this.#chat.send(text, { peerId, displayName: this.#options.displayName });
    this.emit('chat', message);
    return message;
  }

  /** Which simulcast/SVC layers the SFU should forward to us for this consumer. */
  async setPreferredLayers(consumerId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    await this.request('setPreferredLayers', { consumerId, spatialLayer, ...(temporalLayer !== undefined ? { temporalLayer } : {}) });
  }

  /** Stops/restarts receiving a remote track (e.g. a tile scrolled out of view) to save bandwidth. */
  async setReceiving(consumerId: string, receiving: boolean): Promise<void> {
    const consumer = this.#remote.consumer(consumerId);
    if (!consumer) throw new Error(`no consumer ${consumerId}`);
    await this.request(receiving ? 'resumeConsumer' : 'pauseConsumer', { consumerId });
    if (receiving) consumer.resume();
    else consumer.pause();
  }

  /** Server-side (mediasoup) stats of one of our transports, producers or consumers. */
  async getStats(id: string): Promise<unknown[]> {
    return (await this.request('getStats', { id })).stats;
  }

  /** Browser-side stats handles for every producer and consumer, for a stats panel. */
  statsSources(): LocalStatsSource[] {
    const out = this.#publisher.list().flatMap(({ source }) => {
      const producer = this.#publisher.producer(source);
      return producer && !producer.closed ? [{ label: `me · ${source}`, direction: 'out' as const, getStats: () => producer.getStats() }] : [];
    });
    const incoming = this.#remote.tracks().flatMap((t) => {
      const consumer = this.#remote.consumer(t.consumerId);
      const name = this.#peers.get(t.peerId)?.displayName ?? t.peerId;
      return consumer && !consumer.closed ? [{ label: `${name} · ${t.source}`, direction: 'in' as const, getStats: () => consumer.getStats() }] : [];
    });
    return [...out, ...incoming];
  }

  /** The source of a remote track, by consumer id. */
  sourceOfConsumer(consumerId: string): MediaSource | undefined {
    return this.#remote.info(consumerId)?.source;
  }

  /** Escape hatch for protocol methods without a dedicated call (requestKeyFrame, setConsumerPriority…). */
  async request<M extends MethodName>(method: M, data: RequestData<M>): Promise<ResponseData<M>> {
    return this.#connectedLink().signalling.request(method, data);
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────────────────────────

  /** One join attempt: a new RoomLink, re-publishing, the room's media; chat then opens in the background. Throws if anything fails. */
  async #connect(run: AbortController): Promise<void> {
    const link = new RoomLink(this.#options satisfies LinkSettings);
    this.#link = link;
    await link.connect(this.#devices);
    this.#mediaWatch = new MediaConnectivityWatch({ iceServers: link.joined.iceServers, relayOnly: this.#options.forceRelay }, (media) =>
      this.emit('media', media),
    );
    for (const transport of link.transports) this.#mediaWatch.watch(transport);
    try {
      if (run.signal.aborted) throw new ConnectionClosedError('left while joining');
      const { peerId, room, peers, publishSources } = link.joined;
      this.#peerId = peerId;
      this.emit('joined', { peerId, room, publishSources });
      this.#peers.replaceAll(peers);
      link.start({
        onNotification: (notification) => this.#onNotification(link, notification),
        onLost: (reason) => this.#onLost(link, reason),
        onError: (context, error) => this.emit('error', { context, error }),
      });
      // Media before chat: each is one offer/answer on the send transport, and after a rejoin the others
      // wait for our media, not for our chat channel.
      await this.#publisher.republishAll(link);
      // The room's media (announced before our receive transport's answer, so start() above began
      // consuming it) is set up before join() resolves and the application publishes.
      await this.#remote.settled(INITIAL_MEDIA_WAIT_MS);
      if (link.closed || this.#link !== link) throw new ConnectionClosedError('connection lost while joining');
      void this.#openChat(link);
    } catch (error) {
      if (link.closed && !(error instanceof ProtocolError) && !(error instanceof ConnectionClosedError)) {
        throw new ConnectionClosedError(`connection lost while joining: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  /**
   * Chat comes after the first picture, in the background: its renegotiations (an SCTP section on each
   * transport) and the send transport's own ICE and DTLS would otherwise compete with the receive
   * transport's handshake and the first frames for the browser's WebRTC threads — on a small machine,
   * tens of milliseconds. So it waits until the receive transport is connected (when there is remote
   * media to receive; bounded), and never holds up join() or the application's publishing.
   */
  async #openChat(link: RoomLink): Promise<void> {
    if (this.#remote.tracks().length > 0) await untilConnected(link.recvTransport, INITIAL_MEDIA_WAIT_MS);
    if (link.closed || this.#link !== link) return;
    try {
      await this.#chat.attach(link);
    } catch (error) {
      // Chat is optional: the call goes on. A lost link is the reconnection's business, not news.
      if (!link.closed) this.emit('error', { context: 'open chat', error: error as Error });
    }
  }

  #onNotification(link: RoomLink, n: Notification): void {
    // Stale link, or leave() is running (the server then reports our own producers closing: not news).
    if (link !== this.#link || !this.#run || this.#run.signal.aborted) return;
    this.emit('notification', n);
    switch (n.method) {
      case 'peerJoined':
        return this.#peers.add(n.data.peer);
      case 'peerLeft':
        this.#remote.removePeer(n.data.peerId);
        return this.#peers.remove(n.data.peerId);
      case 'newConsumer':
        return void this.#remote.add(link, n.data);
      case 'consumerClosed':
        return this.#remote.remove(n.data.consumerId);
      case 'consumerPaused':
      case 'consumerResumed':
        return this.#remote.setRemotePaused(n.data.consumerId, n.method === 'consumerPaused');
      case 'newDataConsumer':
        return void this.#chat.addConsumer(link, n.data);
      case 'dataConsumerClosed':
        return this.#chat.removeConsumer(n.data.dataConsumerId);
      case 'producerClosed':
        return this.#publisher.serverClosed(link, n.data.producerId);
      case 'producerMuted':
        return this.#publisher.serverMuted(link, n.data.producerId, n.data.muted);
      case 'activeSpeaker':
        return this.emit('activeSpeaker', n.data);
      case 'audioLevels':
        return this.emit('audioLevels', n.data.levels);
      case 'removed':
        // The same identity joined elsewhere, or an admin took us out: rejoining would only fight over the seat.
        return this.#end(n.data.reason);
      case 'roomClosed':
        // closed_by_admin: the call is over for everyone; rejoining would only open the room again.
        if (n.data.reason === 'closed_by_admin') return this.#end(n.data.reason);
        // Our membership is over. worker_died: the server makes the room anew on a live worker when we
        // rejoin, so rejoin (and re-publish) at once; shutdown: the server is going away, back off.
        if (n.data.reason === 'worker_died') this.#rejoinCause = 'worker_died';
        return link.lose(`room closed (${n.data.reason})`);
      default:
        return; // scores, layer changes: only the raw `notification` event
    }
  }

  #onLost(link: RoomLink, reason: string): void {
    if (link !== this.#link) return;
    this.#teardown();
    const run = this.#run;
    if (!run || run.signal.aborted) return; // leave() is finishing up
    // A connect attempt in progress notices the loss itself; its owner (join or the loop) decides.
    if (this.#state !== 'connected') return;
    if (!this.#options.reconnect) {
      this.emit('error', { context: 'connection', error: new ConnectionClosedError(reason) });
      this.#close();
      return;
    }
    void this.#reconnect(run);
  }

  async #reconnect(run: AbortController): Promise<void> {
    this.#setState('reconnecting');
    const cause = this.#rejoinCause;
    this.#rejoinCause = 'lost';
    let lastError: Error = new Error('no reconnection attempt');
    for (let attempt = 1; attempt <= this.#options.maxReconnectAttempts; attempt++) {
      try {
        const delay = rejoinDelay(attempt, cause);
        if (delay > 0) await sleep(delay, run.signal);
        await this.#connect(run);
        if (run.signal.aborted) return;
        this.#setState('connected');
        return;
      } catch (error) {
        // A roomClosed during this attempt is this loop's business (its backoff), not the next loss's.
        this.#rejoinCause = 'lost';
        if (run.signal.aborted) return;
        this.#teardown();
        lastError = error as Error;
        if (!isRetryable(lastError)) break;
      }
    }
    this.emit('error', { context: 'reconnect', error: lastError });
    this.#close();
  }

  /** Drops the current link and everything that lived on it; publications are kept for re-publishing. */
  #teardown(): void {
    const link = this.#link;
    this.#link = undefined;
    this.#mediaWatch?.close();
    this.#mediaWatch = undefined;
    link?.close();
    this.#remote.removeAll();
    this.#chat.reset();
    this.#publisher.detach();
  }

  /** Final: not in a call any more. */
  #close(): void {
    this.#run?.abort();
    this.#run = undefined;
    this.#rejoinCause = 'lost'; // a worker_died seen just before the end must not skip the next session's backoff
    this.#teardown();
    this.#publisher.clear();
    this.#peers.replaceAll([]);
    this.#peerId = undefined;
    this.#setState('closed');
  }

  /** The server ended the call for good: closed as by leave(), and the application is told why. */
  #end(reason: EndReason): void {
    this.#close();
    this.emit('ended', { reason });
  }

  #connectedLink(): RoomLink {
    const link = this.#link;
    if (!link || link.closed || this.#state !== 'connected') throw new ConnectionClosedError(`not connected (${this.#state})`);
    return link;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('connectionState', state);
  }
}

/** Resolves when the transport is connected, has failed or closed, or after `maxMs`. */
function untilConnected(transport: types.Transport, maxMs: number): Promise<void> {
  if (transport.closed || (transport.connectionState !== 'new' && transport.connectionState !== 'connecting')) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      transport.off('connectionstatechange', onState);
      transport.observer.off('close', done);
      resolve();
    };
    const onState = (state: string): void => {
      if (state !== 'new' && state !== 'connecting') done();
    };
    const timer = setTimeout(done, maxMs);
    transport.on('connectionstatechange', onState);
    transport.observer.on('close', done);
  });
}
