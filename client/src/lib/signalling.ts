/**
 * The signalling WebSocket: typed requests with ids and timeouts, typed notifications. It knows the
 * envelope format and nothing about rooms or media — session code builds on top of it.
 *
 * DOM-free on purpose: it uses the global WebSocket, which browsers and Node ≥ 22 both have, and looks it
 * up only when connecting, never at import time.
 */
import type { MethodName, Notification, RequestData, ResponseData } from '../../../protocol/src';
import { ERROR_CODES, ProtocolError, type ErrorCode } from './protocol';
import { Emitter } from './emitter';

/**
 * The part of a WebSocket this class uses. Both the browser's WebSocket and `ws`'s fit; event parameters
 * are `any` because the two libraries declare different event classes for the same fields.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /* eslint-disable @typescript-eslint/no-explicit-any */
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SignallingOptions {
  /** How long a request (and open()) may take before it is rejected. */
  requestTimeoutMs?: number;
}

export interface SignallingEvents {
  notification: Notification;
  /** The socket is gone — whoever closed it. Fired once, after pending requests were rejected. */
  close: { code: number; reason: string };
}

/** A request got no answer in time. The connection may still be fine; the caller decides. */
export class RequestTimeoutError extends Error {
  constructor(
    readonly method: string,
    timeoutMs: number,
  ) {
    super(`${method}: no answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** The socket closed (or never opened) before the request was answered. */
export class ConnectionClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

interface Pending {
  method: string;
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** WebSocket.OPEN; a literal because the constructor may be a stand-in without static constants. */
const OPEN = 1;

export class SignallingConnection extends Emitter<SignallingEvents> {
  readonly #url: string;
  readonly #timeoutMs: number;
  #socket: WebSocketLike | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #closed = false;
  #closeEmitted = false;
  #settleOpen: ((error?: Error) => void) | undefined;

  constructor(url: string, options: SignallingOptions = {}) {
    super();
    this.#url = url;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  get isOpen(): boolean {
    return !this.#closed && this.#socket?.readyState === OPEN;
  }

  /** Connects. Rejects if the socket errors or closes first, or does not open within the timeout. */
  open(): Promise<void> {
    if (this.#socket || this.#closed) return Promise.reject(new Error('open() can be called once per connection'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close(1006, 'connect timeout');
      }, this.#timeoutMs);
      // Called with an error by whatever ends the attempt first: error, close, timeout or close().
      this.#settleOpen = (error?: Error) => {
        this.#settleOpen = undefined;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };

      let socket: WebSocketLike;
      try {
        socket = new (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket(this.#url);
      } catch (error) {
        this.#settleOpen(error instanceof Error ? error : new Error(String(error)));
        this.#handleClose(1006, 'could not create the socket');
        return;
      }
      this.#socket = socket;
      socket.onopen = () => this.#settleOpen?.();
      // An error before open fails the attempt at once (the error event carries no detail in browsers).
      socket.onerror = () => {
        if (!this.#settleOpen) return;
        this.#settleOpen(new ConnectionClosedError(`could not connect to ${this.#url}`));
        this.close(1006, 'connect failed');
      };
      socket.onclose = (event: { code?: number; reason?: string }) => this.#handleClose(event?.code ?? 1006, event?.reason ?? '');
      socket.onmessage = (event: { data: unknown }) => this.#handleMessage(event.data);
    });
  }

  /** Sends a request and resolves with its answer's data; see the error classes above for failures. */
  request<M extends MethodName>(method: M, data: RequestData<M>): Promise<ResponseData<M>> {
    const socket = this.#socket;
    if (this.#closed || !socket || socket.readyState !== OPEN) {
      return Promise.reject(new ConnectionClosedError(`${method}: the signalling connection is not open`));
    }
    const id = this.#nextId++;
    return new Promise<ResponseData<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestTimeoutError(method, this.#timeoutMs));
      }, this.#timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (data: unknown) => void, reject, timer });
      try {
        socket.send(JSON.stringify({ id, method, data }));
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Closes the socket; pending requests are rejected and `close` is emitted (once). */
  close(code = 1000, reason = 'client closed'): void {
    const socket = this.#socket;
    if (socket) {
      socket.onopen = socket.onmessage = null;
      // A no-op rather than null: `ws` re-emits a handshake abort as 'error', and an EventEmitter 'error'
      // without a listener would crash the Node process.
      socket.onerror = () => {};
      try {
        // Always 1000 on the wire: browsers and ws refuse codes below 3000 other than 1000, and a close
        // reason over 123 bytes. Our listeners get the caller's code and reason via the close event.
        socket.close(1000, reason.slice(0, 60));
      } catch {
        // Already closing: the socket is going away either way.
      }
    }
    // Do not wait for the close handshake: callers tearing down want a synchronous, final state.
    this.#handleClose(code, reason);
  }

  #handleClose(code: number, reason: string): void {
    this.#closed = true;
    if (this.#socket) {
      this.#socket.onclose = null;
      this.#socket = undefined;
    }
    this.#settleOpen?.(new ConnectionClosedError(`connection to ${this.#url} closed before it opened (code ${code} ${reason})`));
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new ConnectionClosedError(`${pending.method}: connection closed (code ${code})`));
    }
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    this.emit('close', { code, reason });
  }

  #handleMessage(raw: unknown): void {
    if (typeof raw !== 'string') return; // the server only sends JSON text frames
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if (typeof m.id === 'number' || m.id === null) {
      this.#handleResponse(m);
    } else if (typeof m.method === 'string') {
      // Trusted to match the protocol's Notification union: it comes from our own server.
      this.emit('notification', { method: m.method, data: m.data ?? {} } as Notification);
    }
  }

  #handleResponse(m: Record<string, unknown>): void {
    // id null: the server could not read our request's id (never happens for well-formed requests).
    if (typeof m.id !== 'number') return;
    const pending = this.#pending.get(m.id);
    if (!pending) return; // answered after its timeout
    this.#pending.delete(m.id);
    clearTimeout(pending.timer);
    if (m.ok === true) {
      pending.resolve(m.data ?? {});
      return;
    }
    const error = (m.error ?? {}) as { code?: unknown; message?: unknown };
    const code = (ERROR_CODES as readonly unknown[]).includes(error.code) ? (error.code as ErrorCode) : 'internal';
    const text = typeof error.message === 'string' ? error.message : `${pending.method} failed`;
    pending.reject(new ProtocolError(code, text));
  }
}
