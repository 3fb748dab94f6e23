/**
 * Real RTP for tests that load the server's event loop on purpose (the fuzz test): the UDP sockets, the
 * 20 ms send clock and the arrival clock live in a worker thread, so a busy test thread can neither
 * delay packets nor hide a gap. Each stream is one socket that sends Opus-like RTP to a plain send
 * transport and receives, on the same socket, what the SFU forwards to its consumer.
 */
import { Worker } from 'node:worker_threads';

export interface StreamGaps {
  /** RTP packets received on this stream's socket since start. */
  received: number;
  /** Packets received since the last mark(). */
  receivedSinceMark: number;
  /** Packets this stream sent since the last mark(). */
  sentSinceMark: number;
  /** Longest silence between two received packets (or from the mark to the first) since the last mark, ms. */
  maxGapMs: number;
  /** RTP packets of other SSRCs (not the consumer's), since start. */
  otherSsrcPackets: number;
  /** Silences over 100 ms since the mark, ms. */
  longGapsMs: number[];
  /** The sender's own longest pause between two sends since the mark (its thread starved of CPU), ms. */
  maxSendGapMs: number;
}

/** The thread's own code (CommonJS, evaluated): keeps its hot path away from the test's event loop. */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const { performance } = require('node:perf_hooks');
const streams = workerData.ssrcs.map((ssrc) => ({
  ssrc, socket: dgram.createSocket('udp4'), seq: 0, received: 0, sinceMark: 0, sentSinceMark: 0, expect: undefined, other: 0, lastAt: 0, maxGap: 0, longGaps: [],
}));
const isRtp = (m) => m.length >= 12 && (m[0] & 0xc0) === 0x80 && !((m[1] & 0x7f) >= 72 && (m[1] & 0x7f) <= 76);
let timer;
let lastSend = 0;
let maxSendGap = 0;
function mark() {
  const now = performance.now();
  for (const s of streams) { s.lastAt = now; s.maxGap = 0; s.longGaps = []; s.sinceMark = 0; s.sentSinceMark = 0; }
  maxSendGap = 0;
}
function report() {
  const now = performance.now();
  return streams.map((s) => {
    const open = now - s.lastAt;
    return { received: s.received, receivedSinceMark: s.sinceMark, sentSinceMark: s.sentSinceMark, otherSsrcPackets: s.other, maxGapMs: Math.max(s.maxGap, open),
      longGapsMs: open > 100 ? [...s.longGaps, open] : s.longGaps, maxSendGapMs: maxSendGap };
  });
}
function packet(s) {
  s.seq++;
  s.sentSinceMark++;
  const p = Buffer.alloc(12 + 160, s.seq & 0xff);
  p[0] = 0x80; p[1] = workerData.payloadType;
  p.writeUInt16BE(s.seq & 0xffff, 2); p.writeUInt32BE((s.seq * 960) >>> 0, 4); p.writeUInt32BE(s.ssrc, 8);
  return p;
}
Promise.all(streams.map((s) => new Promise((resolve) => s.socket.bind(0, '127.0.0.1', resolve)))).then(() => {
  for (const s of streams) {
    s.socket.on('message', (m) => {
      if (!isRtp(m)) return;
      if (s.expect !== undefined && m.readUInt32BE(8) !== s.expect) { s.other++; return; }
      const now = performance.now();
      if (s.lastAt) {
        const gap = now - s.lastAt;
        if (gap > s.maxGap) s.maxGap = gap;
        if (gap > 100) s.longGaps.push(Math.round(gap));
      }
      s.lastAt = now; s.received++; s.sinceMark++;
    });
  }
  parentPort.postMessage({ type: 'ready', ports: streams.map((s) => s.socket.address().port) });
});
parentPort.on('message', (m) => {
  if (m.type === 'start') {
    streams.forEach((s, i) => { s.expect = m.receiveSsrcs[i]; });
    timer = setInterval(() => {
      const now = performance.now();
      if (lastSend) maxSendGap = Math.max(maxSendGap, now - lastSend);
      lastSend = now;
      streams.forEach((s, i) => s.socket.send(packet(s), m.targets[i].port, m.targets[i].ip));
    }, 20);
  } else if (m.type === 'mark') { mark(); parentPort.postMessage({ type: 'marked' }); }
  else if (m.type === 'report') parentPort.postMessage({ type: 'report', streams: report() });
  else if (m.type === 'stop') {
    clearInterval(timer);
    const final = report();
    Promise.all(streams.map((s) => new Promise((resolve) => s.socket.close(resolve))))
      .then(() => parentPort.postMessage({ type: 'stopped', streams: final }));
  }
});
`;

export class RtpPacer {
  readonly #worker: Worker;

  private constructor(
    worker: Worker,
    /** The local UDP port of each stream: connect that stream's plain receive transport to it. */
    readonly ports: number[],
  ) {
    this.#worker = worker;
  }

  /** One stream per SSRC; sending starts with start(). */
  static async create(ssrcs: number[], payloadType: number): Promise<RtpPacer> {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { ssrcs, payloadType } });
    const ports = await new Promise<number[]>((resolve, reject) => {
      worker.once('message', (m: { ports: number[] }) => resolve(m.ports));
      worker.once('error', reject);
    });
    return new RtpPacer(worker, ports);
  }

  /**
   * Stream i sends to targets[i] (a plain send transport's ip and port) every 20 ms, and counts what
   * arrives with receiveSsrcs[i] (its consumer's SSRC).
   */
  start(targets: { ip: string; port: number }[], receiveSsrcs: number[]): void {
    this.#worker.postMessage({ type: 'start', targets, receiveSsrcs });
  }

  /** Starts a measuring window: gaps and counts are reported from here. */
  mark(): Promise<void> {
    return this.#ask('mark', 'marked').then(() => undefined);
  }

  report(): Promise<StreamGaps[]> {
    return this.#ask('report', 'report').then((m) => m.streams);
  }

  /** Stops sending, closes the sockets and ends the thread; resolves with the last report. */
  async stop(): Promise<StreamGaps[]> {
    const final = await this.#ask('stop', 'stopped');
    await this.#worker.terminate();
    return final.streams;
  }

  #ask(type: string, answer: string): Promise<{ streams: StreamGaps[] }> {
    return new Promise((resolve) => {
      const listener = (m: { type: string; streams: StreamGaps[] }): void => {
        if (m.type !== answer) return;
        this.#worker.off('message', listener);
        resolve(m);
      };
      this.#worker.on('message', listener);
      this.#worker.postMessage({ type });
    });
  }
}
