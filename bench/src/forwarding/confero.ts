/**
 * Confero itself: the real server (buildApp + WorkerPool, one worker) in this process, on loopback, with
 * plain transports allowed and the per-address limits raised (every subscriber connects from 127.0.0.1
 * within seconds). The publisher and every subscriber are peers speaking the real protocol: join,
 * createTransport (plain), connectTransport, produce; each subscriber's consumer is created by the server
 * and resumed by the peer.
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../../server/src/app';
import { loadConfig } from '../../../server/src/config';
import { WorkerPool } from '../../../server/src/media/worker-pool';
import { PROTOCOL_VERSION, type ResponseData } from '../../../protocol/src';
import { PRODUCER_RTP_PARAMETERS, SINK_SRTP_PARAMETERS } from './feed';
import type { Forwarder } from './measure';
import { placeForwarder, type PinningPlan } from './pinning';
import { SignallingConnection } from '../../../client/src/lib';

const ROOM = 'bench-forwarding';
/** Subscribers joined at once: fast set-up without a burst of hundreds of sockets. */
const JOIN_CONCURRENCY = 10;
/** Set-up requests on a machine busy forwarding can be slow; generous, but bounded. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface ConferoSetup {
  httpPort: number;
  webRtcServerPort: number;
  portRange: { min: number; max: number };
  sinkPort: number;
  plan: PinningPlan | undefined;
  /** Subscriber transports created with `srtp` (the protocol's SRTP plain transports). */
  srtp: boolean;
}

type RouterCapabilities = ResponseData<'getRouterRtpCapabilities'>['routerRtpCapabilities'];

export class ConferoForwarder implements Forwarder {
  readonly name: string;
  readonly maxSubscribers: number;
  readonly #subscribers: SignallingConnection[] = [];
  #publisher: SignallingConnection | undefined;
  #capabilities: RouterCapabilities | undefined;
  #producerId = '';
  producerAddress = { ip: '', port: 0 };
  #wsUrl = '';

  private constructor(
    private readonly setup: ConferoSetup,
    private readonly pool: WorkerPool,
    private readonly app: FastifyInstance,
  ) {
    this.maxSubscribers = setup.portRange.max - setup.portRange.min;
    this.name = setup.srtp ? 'Confero (SRTP)' : 'Confero';
  }

  static async start(setup: ConferoSetup): Promise<ConferoForwarder> {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(setup.httpPort),
      MEDIASOUP_NUM_WORKERS: '1',
      ...(process.env.MEDIASOUP_WORKER_BIN ? { MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN } : {}),
      RTC_BASE_PORT: String(setup.webRtcServerPort),
      RTC_MIN_PORT: String(setup.portRange.min),
      RTC_MAX_PORT: String(setup.portRange.max),
      ALLOW_PLAIN_TRANSPORTS: 'true',
      MAX_PEERS_PER_ROOM: '10000',
      JOINS_PER_IP_PER_MINUTE: '1000000',
      MAX_WS_CONNECTIONS: '1000000',
      MAX_WS_CONNECTIONS_PER_IP: '1000000',
      WS_RATE_PER_SECOND: '100000',
      WS_RATE_BURST: '1000000',
    });
    const log = pino({ level: 'silent' });
    const pool = await WorkerPool.create(config.media, log);
    let app: FastifyInstance | undefined;
    try {
      await placeForwarder(pool.slots[0]!.worker.pid, setup.plan);
      app = (await buildApp({ config, log, pool })).app;
      const base = await app.listen({ host: '127.0.0.1', port: setup.httpPort });
      const confero = new ConferoForwarder(setup, pool, app);
      confero.#wsUrl = `${base.replace('http', 'ws')}/ws`;
      await confero.#publish();
      return confero;
    } catch (error) {
      await app?.close().catch(() => undefined);
      await pool.close();
      throw error;
    }
  }

  get pid(): number {
    const slot = this.pool.slots[0];
    if (!slot) throw new Error('Confero has no live worker');
    return slot.worker.pid;
  }

  async #connect(): Promise<SignallingConnection> {
    const peer = new SignallingConnection(this.#wsUrl, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    await peer.open();
    return peer;
  }

  async #publish(): Promise<void> {
    const peer = await this.#connect();
    this.#publisher = peer;
    const { routerRtpCapabilities } = await peer.request('getRouterRtpCapabilities', {});
    this.#capabilities = routerRtpCapabilities;
    await peer.request('join', { protocolVersion: PROTOCOL_VERSION, room: ROOM, displayName: 'publisher', rtpCapabilities: routerRtpCapabilities });
    const send = await peer.request('createTransport', { direction: 'send', type: 'plain' });
    const { producerId } = await peer.request('produce', {
      transportId: send.transportId,
      kind: 'video',
      source: 'webcam',
      rtpParameters: PRODUCER_RTP_PARAMETERS as never,
    });
    this.#producerId = producerId;
    this.producerAddress = { ip: send.ip!, port: send.port! };
  }

  async setSubscribers(n: number): Promise<void> {
    while (this.#subscribers.length < n) {
      const batch = Math.min(JOIN_CONCURRENCY, n - this.#subscribers.length);
      const joined = await Promise.allSettled(Array.from({ length: batch }, (_, i) => this.#subscribe(this.#subscribers.length + i)));
      for (const outcome of joined) if (outcome.status === 'fulfilled') this.#subscribers.push(outcome.value);
      const failed = joined.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) throw new Error(`a Confero subscriber could not join: ${String(failed.reason)}`);
    }
  }

  async #subscribe(index: number): Promise<SignallingConnection> {
    const peer = await this.#connect();
    let stopListening = (): void => undefined;
    try {
      // Listening before the receive transport exists: the server announces the consumer of what is
      // already published before it answers createTransport.
      const consumerId = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no newConsumer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
        const off = peer.on('notification', (n) => {
          if (n.method !== 'newConsumer' || n.data.producerId !== this.#producerId) return;
          stopListening();
          resolve(n.data.consumerId);
        });
        stopListening = () => {
          clearTimeout(timer);
          off();
        };
      });
      consumerId.catch(() => undefined); // read below; a timeout before then is not unhandled
      await peer.request('join', {
        protocolVersion: PROTOCOL_VERSION,
        room: ROOM,
        displayName: `subscriber-${index}`,
        rtpCapabilities: this.#capabilities!,
      });
      const recv = await peer.request('createTransport', { direction: 'recv', type: 'plain', srtp: this.setup.srtp });
      const key = this.setup.srtp ? { srtpParameters: SINK_SRTP_PARAMETERS } : {};
      await peer.request('connectTransport', { transportId: recv.transportId, ip: '127.0.0.1', port: this.setup.sinkPort, ...key });
      await peer.request('resumeConsumer', { consumerId: await consumerId });
      return peer;
    } catch (error) {
      stopListening();
      peer.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const peer of this.#subscribers) peer.close();
    this.#publisher?.close();
    await this.app.close();
    await this.pool.close();
  }
}
