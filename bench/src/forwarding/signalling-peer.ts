/**
 * The least client that speaks Confero's signalling: requests answered by id, notifications kept until
 * someone waits for them. Bench peers have no Device: they join with the router's own capabilities and
 * use plain RTP transports, like the load-test and server-test bots.
 */
import WebSocket from 'ws';
import {
  ProtocolError,
  type MethodName,
  type Notification,
  type NotificationData,
  type NotificationName,
  type RequestData,
  type Response,
  type ResponseData,
} from '../../../protocol/src';

const REQUEST_TIMEOUT_MS = 15_000;

export class SignallingPeer {
  readonly #ws: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, (response: Response) => void>();
  readonly #notifications: Notification[] = [];
  readonly #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Response | Notification;
      if ('ok' in message) {
        const resolve = message.id === null ? undefined : this.#pending.get(message.id);
        if (resolve && message.id !== null) {
          this.#pending.delete(message.id);
          resolve(message);
        }
        return;
      }
      // Only the notifications a bench peer waits for are kept: a room of hundreds of peers announces
      // every join and leave to everyone.
      if (message.method === 'newConsumer') {
        this.#notifications.push(message);
        for (const wake of this.#waiters.splice(0)) wake();
      }
    });
  }

  static async connect(url: string): Promise<SignallingPeer> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SignallingPeer(ws);
  }

  async request<M extends MethodName>(method: M, data: RequestData<M>): Promise<ResponseData<M>> {
    const id = this.#nextId++;
    const answer = new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
      this.#pending.set(id, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
    this.#ws.send(JSON.stringify({ id, method, data }));
    const response = await answer;
    if (!response.ok) throw new ProtocolError(response.error.code, `${method}: ${response.error.message}`);
    return response.data as ResponseData<M>;
  }

  /** The first notification of that method matching, waiting for it (bounded). */
  async waitFor<N extends NotificationName>(method: N, match: (data: NotificationData<N>) => boolean, timeoutMs = 10_000): Promise<NotificationData<N>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#notifications.find((n) => n.method === method && match(n.data as NotificationData<N>));
      if (found) return found.data as NotificationData<N>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${method} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.#ws.close();
  }
}
