/**
 * A signalling peer for server tests: a raw `ws` client (so tests can also send malformed frames) that
 * records every notification, plus a mediasoup-client Device on the fake handler so produce/consume use
 * real mediasoup-client parameters without a browser.
 */
import WebSocket from 'ws';
import { Device, FakeHandler, testFakeParameters, type types as clientTypes } from 'mediasoup-client';
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import {
  PROTOCOL_VERSION,
  ProtocolError,
  type MethodName,
  type Notification,
  type NotificationData,
  type NotificationName,
  type RequestData,
  type Response,
  type ResponseData,
} from '../protocol/src';

export class TestPeer {
  readonly notifications: Notification[] = [];
  readonly responses: Response[] = [];
  #nextId = 1;
  #pending = new Map<number, (response: Response) => void>();
  #waiters: (() => void)[] = [];
  device!: clientTypes.Device;
  joined?: ResponseData<'join'>;
  sendTransport?: clientTypes.Transport;
  recvTransport?: clientTypes.Transport;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Response | Notification;
      if ('ok' in message) {
        this.responses.push(message);
        const resolve = message.id === null ? undefined : this.#pending.get(message.id);
        if (resolve && message.id !== null) {
          this.#pending.delete(message.id);
          resolve(message);
        }
      } else {
        this.notifications.push(message);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async connect(url: string): Promise<TestPeer> {
    const ws = new WebSocket(url);
    // Listening before the socket opens: the server's `welcome` can come in the same read as the upgrade.
    const peer = new TestPeer(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return peer;
  }

  /** Sends a request and resolves with the raw response (ok or error). */
  raw(method: string, data?: unknown): Promise<Response> {
    const id = this.#nextId++;
    return this.rawText(JSON.stringify({ id, method, data }), id);
  }

  rawText(text: string, id: number): Promise<Response> {
    const answer = new Promise<Response>((resolve) => this.#pending.set(id, resolve));
    this.ws.send(text);
    return answer;
  }

  async request<M extends MethodName>(method: M, data: RequestData<M>): Promise<ResponseData<M>> {
    const response = await this.raw(method, data);
    if (!response.ok) throw new ProtocolError(response.error.code, response.error.message);
    return response.data as ResponseData<M>;
  }

  /** Waits (bounded) until a recorded notification matches. */
  async waitFor<N extends NotificationName>(
    method: N,
    match: (data: NotificationData<N>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<NotificationData<N>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.notifications.find((n) => n.method === method && match(n.data as NotificationData<N>));
      if (found) return found.data as NotificationData<N>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${method}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  count<N extends NotificationName>(method: N, match: (data: NotificationData<N>) => boolean = () => true): number {
    return this.notifications.filter((n) => n.method === method && match(n.data as NotificationData<N>)).length;
  }

  /** getRouterRtpCapabilities → load the fake Device → join with its capabilities (and `token` if given). */
  async join(room: string, displayName: string, token?: string): Promise<ResponseData<'join'>> {
    const response = await this.joinRaw(room, displayName, token);
    if (!response.ok) throw new ProtocolError(response.error.code, response.error.message);
    return this.joined!;
  }

  /** join's steps, answering join's raw response (ok or error) instead of throwing. */
  async joinRaw(room: string, displayName: string, token?: string): Promise<Response> {
    const { routerRtpCapabilities } = await this.request('getRouterRtpCapabilities', {});
    this.device = new Device({ handlerFactory: FakeHandler.createFactory(testFakeParameters) });
    await this.device.load({ routerRtpCapabilities });
    const response = await this.raw('join', {
      protocolVersion: PROTOCOL_VERSION,
      room,
      displayName,
      rtpCapabilities: this.device.recvRtpCapabilities,
      ...(token !== undefined ? { token } : {}),
    });
    if (response.ok) this.joined = response.data as ResponseData<'join'>;
    return response;
  }

  async createSendTransport(): Promise<clientTypes.Transport> {
    const transport = await this.#createTransport('send');
    transport.on('produce', ({ kind, rtpParameters, appData }, ok, fail) =>
      this.request('produce', { transportId: transport.id, kind, rtpParameters, source: appData.source as 'mic' }).then(
        ({ producerId }) => ok({ id: producerId }),
        fail,
      ),
    );
    this.sendTransport = transport;
    return transport;
  }

  async createRecvTransport(): Promise<clientTypes.Transport> {
    this.recvTransport = await this.#createTransport('recv');
    return this.recvTransport;
  }

  async #createTransport(direction: 'send' | 'recv'): Promise<clientTypes.Transport> {
    const info = await this.request('createTransport', { direction, enableSctp: true });
    const options = {
      id: info.transportId,
      iceParameters: info.iceParameters!,
      iceCandidates: info.iceCandidates!,
      dtlsParameters: info.dtlsParameters!,
      sctpParameters: info.sctpParameters,
    };
    const transport = direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, ok, fail) =>
      this.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => ok(), fail),
    );
    return transport;
  }

  /** Publishes a fake track of that source; video webcam as 3-layer simulcast unless told otherwise. */
  async publish(source: 'mic' | 'webcam' | 'screen', simulcast = source === 'webcam'): Promise<clientTypes.Producer> {
    const transport = this.sendTransport ?? (await this.createSendTransport());
    const kind = source === 'mic' ? 'audio' : 'video';
    const track = new FakeMediaStreamTrack({ kind });
    return transport.produce({
      track,
      appData: { source },
      ...(simulcast ? { encodings: [{ scaleResolutionDownBy: 4 }, { scaleResolutionDownBy: 2 }, { scaleResolutionDownBy: 1 }] } : {}),
    });
  }

  close(): void {
    this.ws.close();
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
}
