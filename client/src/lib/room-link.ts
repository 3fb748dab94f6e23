/**
 * One membership of a room over one signalling connection: open the socket, load the Device, join, and
 * create the two transports. When anything of it breaks, the whole link is thrown away and the session
 * builds a new one — rejoining from scratch is the one recovery path, so it is the well-tested one.
 *
 * Notifications are buffered until the session calls start(): the server announces existing producers
 * (newConsumer) while it creates our receive transport, i.e. before we even have that transport object.
 */
import type { types } from 'mediasoup-client';
import type { Device } from 'mediasoup-client';
import type { Notification, ResponseData, TransportInfo } from '../../../protocol/src';
import { PROTOCOL_VERSION, ProtocolError } from './protocol';
import type { DeviceSlot } from './device';
import { ConnectionClosedError, SignallingConnection } from './signalling';
import { createTransport } from './transports';

export interface LinkSettings {
  url: string;
  room: string;
  displayName: string;
  token?: string;
  requestTimeoutMs?: number;
  forceRelay: boolean;
  enableDataChannels: boolean;
}

export interface LinkHandlers {
  onNotification: (notification: Notification) => void;
  /** The link is unusable (socket closed, ICE unrecoverable). Called at most once. */
  onLost: (reason: string) => void;
  onError: (context: string, error: Error) => void;
}

export type JoinInfo = ResponseData<'join'>;

export class RoomLink {
  readonly signalling: SignallingConnection;
  readonly #settings: LinkSettings;
  #device: Device | undefined;
  #joined: JoinInfo | undefined;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  #handlers: LinkHandlers | undefined;
  #buffer: Notification[] = [];
  #lostReason: string | undefined;
  #closed = false;
  #sendSctp = false;
  /** Why the server refused a transport (the access token lacks the grant): that direction has none. */
  readonly #refused: { send?: ProtocolError; recv?: ProtocolError } = {};
  /** The server's `welcome` (sent as the socket opens) carries the router's capabilities. */
  #welcomed: (capabilities: types.RtpCapabilities) => void = () => undefined;
  readonly #welcome = new Promise<types.RtpCapabilities>((resolve) => (this.#welcomed = resolve));

  constructor(settings: LinkSettings) {
    this.#settings = settings;
    this.signalling = new SignallingConnection(settings.url, { requestTimeoutMs: settings.requestTimeoutMs });
    this.signalling.on('notification', (notification) => {
      if (this.#closed) return;
      if (notification.method === 'welcome') return this.#welcomed(notification.data.routerRtpCapabilities);
      if (this.#handlers) this.#handlers.onNotification(notification);
      else this.#buffer.push(notification);
    });
    this.signalling.on('close', ({ code, reason }) => this.lose(`signalling closed (code ${code}${reason ? `: ${reason}` : ''})`));
  }

  /** Closed by us (teardown) or lost: no request or media object of this link may be used any more. */
  get closed(): boolean {
    return this.#closed || this.#lostReason !== undefined;
  }

  get device(): Device {
    return required(this.#device, 'device');
  }
  get joined(): JoinInfo {
    return required(this.#joined, 'join');
  }
  get sendTransport(): types.Transport {
    if (this.#refused.send) throw this.#refused.send;
    return required(this.#send, 'send transport');
  }
  get recvTransport(): types.Transport {
    if (this.#refused.recv) throw this.#refused.recv;
    return required(this.#recv, 'receive transport');
  }
  /** The transports this membership has: both, unless the access token allows only one direction. */
  get transports(): types.Transport[] {
    return [this.#send, this.#recv].filter((t): t is types.Transport => t !== undefined);
  }
  /** The server opened SCTP on our send transport (it may run without DataChannels). */
  get sendSctp(): boolean {
    return this.#sendSctp;
  }

  /**
   * Runs the whole join sequence. On failure the link is closed; if the connection dropped meanwhile the
   * error is a ConnectionClosedError whatever step noticed it, so callers can tell "retry" from "refused".
   */
  async connect(devices: DeviceSlot): Promise<void> {
    const s = this.#settings;
    try {
      // The browser's own capabilities are worked out while the socket opens (device.ts).
      void devices.prepare();
      await this.signalling.open();
      // The welcome usually comes first; asking as well keeps a server that sends none (older) working.
      const asked = this.signalling.request('getRouterRtpCapabilities', {}).then((answer) => answer.routerRtpCapabilities);
      this.#device = await devices.load(await Promise.race([this.#welcome, asked]));
      // join and both transports in one go: the server runs a connection's requests in order, so the
      // transports are made right after the join without a round trip each. If join is refused they are
      // refused too (not joined), and join's error is the one that counts.
      const joining = this.signalling.request('join', {
        protocolVersion: PROTOCOL_VERSION,
        room: s.room,
        displayName: s.displayName,
        rtpCapabilities: this.#device.recvRtpCapabilities,
        ...(s.token !== undefined ? { token: s.token } : {}),
      });
      // Send first: the receive transport's creation is what makes the server announce existing media.
      const sendInfo = this.#requestTransport('send');
      const recvInfo = this.#requestTransport('recv');
      this.#joined = await joining;
      this.#send = await this.#permittedTransport('send', sendInfo);
      this.#recv = await this.#permittedTransport('recv', recvInfo);
      if (this.#lostReason) throw new ConnectionClosedError(this.#lostReason);
    } catch (error) {
      const lost = this.#lostReason;
      this.close();
      if (lost && !(error instanceof ConnectionClosedError) && !(error instanceof ProtocolError)) {
        throw new ConnectionClosedError(`${lost}, while joining: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  /** Starts delivering notifications (the buffered ones first) and loss reports to the session. */
  start(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const notification of buffered) {
      if (this.#closed) return;
      handlers.onNotification(notification);
    }
    const lost = this.#lostReason;
    if (lost !== undefined && !this.#closed) queueMicrotask(() => handlers.onLost(lost));
  }

  /** Marks the link lost and tells the session (once). Also used for ICE failures and roomClosed. */
  lose(reason: string): void {
    if (this.#closed || this.#lostReason !== undefined) return;
    this.#lostReason = reason;
    this.#handlers?.onLost(reason);
  }

  /**
   * Releases everything: closing the transports closes their producers and consumers locally (they get
   * 'transportclose'), closing the socket makes the server drop our peer and everything it owned.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = [];
    this.#send?.close();
    this.#recv?.close();
    this.signalling.close(1000, 'leaving');
  }

  /**
   * A transport the access token may not grant (a viewer's has no canPublish, a publisher's no
   * canSubscribe): `forbidden` leaves that direction without one, and using it says why.
   */
  async #permittedTransport(direction: 'send' | 'recv', info: Promise<TransportInfo>): Promise<types.Transport | undefined> {
    try {
      return this.#createTransport(direction, await info);
    } catch (error) {
      if (!(error instanceof ProtocolError) || error.code !== 'forbidden') throw error;
      this.#refused[direction] = error;
      return undefined;
    }
  }

  /** Asks for a transport; a refusal is read later (after join's answer), so it is never unhandled. */
  #requestTransport(direction: 'send' | 'recv'): Promise<TransportInfo> {
    const info = this.signalling.request('createTransport', { direction, enableSctp: this.#settings.enableDataChannels });
    info.catch(() => undefined);
    return info;
  }

  #createTransport(direction: 'send' | 'recv', info: TransportInfo): types.Transport {
    const s = this.#settings;
    if (this.#closed) throw new ConnectionClosedError('closed while creating transports');
    if (direction === 'send') this.#sendSctp = info.sctpParameters !== undefined;
    return createTransport({
      direction,
      info,
      device: this.device,
      signalling: this.signalling,
      iceServers: this.joined.iceServers,
      forceRelay: s.forceRelay,
      onUnrecoverable: (reason) => this.lose(reason),
      onError: (context, error) => this.#handlers?.onError(context, error),
    });
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the ${what} is not ready yet`);
  return value;
}
