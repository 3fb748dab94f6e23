/**
 * One fuzzing connection to /ws: sends frames as fast as a window of unanswered ones allows, checks that
 * every frame gets exactly one well-formed answer (never `internal`), learns the ids of what it creates
 * so later frames can target them, and survives the frames that make the server close the socket
 * (it expects that close, with its code, and reconnects).
 */
import WebSocket from 'ws';
import { ERROR_CODES } from '../../../protocol/src';
import { AUTO_ID, type FuzzFrame } from './fuzz-arbitraries';
import type { RefPool } from './fuzz-requests';

export interface FuzzTargets {
  wsUrl: string;
  routerRtpCapabilities: unknown;
  /** Local UDP port that swallows whatever RTP a fuzzed plain transport is told to send. */
  sinkPort: number;
  rooms: string[];
  /** Ids of the media peers' objects: fuzzers may name them but must never be allowed to act on them. */
  foreignIds: string[];
}

export interface FuzzTally {
  frames: number;
  bytes: number;
  answers: number;
  closes: number;
  byCategory: Record<string, number>;
  byCode: Record<string, number>;
  okByMethod: Record<string, number>;
  /** One error message per method and code: what the fuzz ran into, for FUZZ_VERBOSE. */
  sampleErrors: Record<string, string>;
}

/** The id pools a socket fills as it goes (the other RefPools come from the targets). */
type OwnPool = Exclude<RefPool, 'routerCaps' | 'sinkPort' | 'room'>;

const WINDOW = 24;
const POOL_MAX = 40;
const ANSWER_TIMEOUT_MS = 10_000;
let nextAutoId = 10_000_000; // 8 digits: a truncated one can never be mistaken for another

export class FuzzSocket {
  readonly problems: string[] = [];
  readonly tally: FuzzTally = { frames: 0, bytes: 0, answers: 0, closes: 0, byCategory: {}, byCode: {}, okByMethod: {}, sampleErrors: {} };
  #ws!: WebSocket;
  #sent = 0;
  #answered = 0;
  #expectedClose: number | undefined;
  #pending = new Map<number, { frame: FuzzFrame & { kind: 'text' }; text: string }>();
  #wake: (() => void)[] = [];
  #closing = false;
  readonly #pools: Record<OwnPool, string[]> = {
    transport: [],
    producer: [],
    consumer: [],
    dataProducer: [],
    foreign: [],
  };

  constructor(
    readonly name: string,
    private readonly targets: FuzzTargets,
    /** Joined sockets (re)join this room on every connection; others fuzz from outside any room. */
    private readonly room?: string,
  ) {
    this.#pools.foreign.push(...targets.foreignIds);
  }

  async connect(): Promise<void> {
    const ws = new WebSocket(this.targets.wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.#ws = ws;
    this.#sent = 0;
    this.#answered = 0;
    this.#pending.clear();
    ws.on('message', (raw, isBinary) => this.#receive(raw as Buffer, isBinary));
    ws.on('close', (code) => {
      if (this.#closing || this.#ws !== ws) return;
      if (this.#expectedClose === undefined) this.problems.push(`${this.name}: server closed the socket unexpectedly (code ${code})`);
      else if (code !== this.#expectedClose) this.problems.push(`${this.name}: closed with ${code}, expected ${this.#expectedClose}`);
      this.#expectedClose = undefined;
      this.#notify();
    });
    ws.on('error', () => undefined);
    if (this.room) await this.#join(this.room);
  }

  async #join(room: string): Promise<void> {
    const id = nextAutoId++;
    const data = { protocolVersion: 1, room, displayName: this.name, rtpCapabilities: this.targets.routerRtpCapabilities };
    const answered = new Promise<unknown>((resolve) => {
      const listener = (raw: Buffer): void => {
        const message = JSON.parse(raw.toString()) as { id?: number; ok?: boolean };
        if (message.id !== id) return;
        this.#ws.off('message', listener);
        resolve(message);
      };
      this.#ws.on('message', listener);
    });
    await this.#send({ kind: 'text', category: 'join', method: 'join', text: JSON.stringify({ id: AUTO_ID, method: 'join', data }) }, id);
    const answer = (await answered) as { ok: boolean };
    if (!answer.ok) throw new Error(`${this.name} could not join ${room}: ${JSON.stringify(answer)}`);
  }

  /** Sends one frame once fewer than WINDOW are unanswered; reconnects first if the server closed us. */
  async send(frame: FuzzFrame): Promise<void> {
    if (this.#ws.readyState !== WebSocket.OPEN) await this.connect();
    if (frame.kind === 'closing') return this.#sendClosing(frame);
    await this.#until(() => this.#sent - this.#answered < WINDOW || this.#ws.readyState !== WebSocket.OPEN).catch(() => {
      throw new Error(`${this.name}: ${WINDOW} frames unanswered for ${ANSWER_TIMEOUT_MS} ms`);
    });
    if (this.#ws.readyState !== WebSocket.OPEN) await this.connect();
    await this.#send(frame, nextAutoId++);
  }

  async #send(frame: FuzzFrame, id: number): Promise<void> {
    this.tally.frames++;
    this.tally.byCategory[frame.category] = (this.tally.byCategory[frame.category] ?? 0) + 1;
    if (frame.kind === 'binary') {
      this.tally.bytes += frame.bytes.length;
      this.#sent++;
      this.#ws.send(frame.bytes, { binary: true });
      return;
    }
    if (frame.kind === 'closing') return;
    const text = this.#resolve(frame.text, id);
    if (text.includes(String(id))) this.#pending.set(id, { frame, text });
    this.tally.bytes += Buffer.byteLength(text);
    this.#sent++;
    this.#ws.send(text);
  }

  /** Everything answered first, so the close can't swallow answers; then the frame, the close, a new socket. */
  async #sendClosing(frame: FuzzFrame & { kind: 'closing' }): Promise<void> {
    await this.drain();
    this.tally.frames++;
    this.tally.bytes += frame.payload.length;
    this.tally.byCategory[frame.category] = (this.tally.byCategory[frame.category] ?? 0) + 1;
    this.#expectedClose = frame.closeCode;
    const ws = this.#ws;
    this.#ws.send(frame.payload, { binary: frame.binary });
    await this.#until(() => ws.readyState === WebSocket.CLOSED, 5000).catch(() => {
      this.problems.push(`${this.name}: no close after a ${frame.category} frame`);
      ws.terminate();
    });
    this.tally.closes++;
    await this.connect();
  }

  /** Waits until every frame sent on this connection is answered. */
  async drain(timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
    await this.#until(() => this.#answered >= this.#sent || this.#ws.readyState !== WebSocket.OPEN, timeoutMs).catch(() => {
      const waiting = [...this.#pending.values()].slice(0, 3).map((p) => p.text.slice(0, 200));
      this.problems.push(`${this.name}: ${this.#sent - this.#answered} frames unanswered after ${timeoutMs} ms, e.g. ${waiting.join(' | ')}`);
    });
    // Every frame that carried a readable id of ours was answered under that id, not under null or another.
    if (this.#answered >= this.#sent && this.#pending.size > 0) {
      const strays = [...this.#pending.values()].slice(0, 3).map((p) => p.text.slice(0, 200));
      this.problems.push(`${this.name}: ${this.#pending.size} frames not answered under their own id, e.g. ${strays.join(' | ')}`);
      this.#pending.clear();
    }
  }

  close(): void {
    this.#closing = true;
    this.#ws.close();
  }

  /** Placeholders → the frame's id, and ids from this socket's pools. */
  #resolve(text: string, id: number): string {
    return text.replaceAll(`"${AUTO_ID}"`, String(id)).replace(/"\$ref:(\w+):(\d+)"/g, (_, pool: RefPool, n: string) => {
      const index = Number(n);
      if (pool === 'routerCaps') return JSON.stringify(this.targets.routerRtpCapabilities);
      if (pool === 'sinkPort') return String(this.targets.sinkPort);
      if (pool === 'room') return JSON.stringify(this.targets.rooms[index % this.targets.rooms.length]);
      const ids = this.#pools[pool];
      if (ids.length === 0) return JSON.stringify(`gone-${index}`);
      // Mostly one of the newest (likely still alive), sometimes any (likely closed by now).
      const recent = Math.min(ids.length, 3);
      return JSON.stringify(index % 4 === 0 ? ids[index % ids.length] : ids[ids.length - 1 - (index % recent)]);
    });
  }

  #remember(pool: OwnPool, id: unknown): void {
    if (typeof id !== 'string') return;
    const ids = this.#pools[pool];
    ids.push(id);
    if (ids.length > POOL_MAX) ids.shift();
  }

  #receive(raw: Buffer, isBinary: boolean): void {
    let message: Record<string, unknown>;
    try {
      if (isBinary) throw new Error('binary');
      message = JSON.parse(raw.toString()) as Record<string, unknown>;
    } catch {
      this.problems.push(`${this.name}: the server sent a frame that is not JSON text: ${raw.toString().slice(0, 100)}`);
      return;
    }
    if ('ok' in message) this.#answer(message);
    else this.#notification(message);
    this.#notify();
  }

  #answer(message: Record<string, unknown>): void {
    this.#answered++;
    this.tally.answers++;
    const { id, ok } = message;
    const pending = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (pending) this.#pending.delete(id as number);
    const about = pending ? ` to ${pending.text.slice(0, 300)}` : '';
    const bad = (why: string): void => void this.problems.push(`${this.name}: ${why}: ${JSON.stringify(message).slice(0, 300)}${about}`);
    if (!(id === null || (typeof id === 'number' && Number.isFinite(id)))) return bad('answer id is neither a number nor null');
    if (ok === true) {
      if (!('data' in message)) return bad('success without data');
      const method = pending?.frame.method ?? '(id not ours)';
      this.tally.okByMethod[method] = (this.tally.okByMethod[method] ?? 0) + 1;
      this.tally.byCode.ok = (this.tally.byCode.ok ?? 0) + 1;
      if (pending) this.#learn(pending.frame.method, message.data as Record<string, unknown>);
      return;
    }
    const error = message.error as { code?: unknown; message?: unknown } | undefined;
    if (ok !== false || typeof error !== 'object' || error === null) return bad('malformed answer');
    const code = error.code as (typeof ERROR_CODES)[number];
    this.tally.byCode[String(code)] = (this.tally.byCode[String(code)] ?? 0) + 1;
    if (!ERROR_CODES.includes(code)) return bad('unknown error code');
    const key = `${pending?.frame.method ?? '(id not ours)'} ${String(code)}`;
    this.tally.sampleErrors[key] ??= String(error.message).slice(0, 160);
    if (typeof error.message !== 'string' || error.message.length === 0) return bad('error without a message');
    if (code === 'internal') return bad('answered internal');
    if (pending?.frame.expect && !pending.frame.expect.includes(code)) return bad(`expected ${pending.frame.expect.join('|')}`);
  }

  /** A success teaches the ids of what was made, for later frames to use (and misuse). */
  #learn(method: string | undefined, data: Record<string, unknown>): void {
    if (method === 'createTransport') this.#remember('transport', data.transportId);
    else if (method === 'produce') this.#remember('producer', data.producerId);
    else if (method === 'produceData') this.#remember('dataProducer', data.dataProducerId);
    else if (method === 'join' && Array.isArray(data.peers)) {
      for (const peer of data.peers as { producers?: { id: string }[] }[]) for (const p of peer.producers ?? []) this.#remember('foreign', p.id);
    }
  }

  #notification(message: Record<string, unknown>): void {
    const { method, data } = message as { method: unknown; data: Record<string, unknown> };
    if (typeof method !== 'string' || typeof data !== 'object' || data === null) {
      this.problems.push(`${this.name}: malformed notification ${JSON.stringify(message).slice(0, 200)}`);
      return;
    }
    if (method === 'removed' || method === 'roomClosed') this.problems.push(`${this.name}: unexpected ${method} ${JSON.stringify(data)}`);
    if (method === 'newConsumer') {
      this.#remember('consumer', data.consumerId);
      this.#remember('foreign', data.producerId);
    }
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  async #until(condition: () => boolean, timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
