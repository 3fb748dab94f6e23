/**
 * The control-plane baseline: the same mediasoup worker binary Confero runs, driven directly — one
 * router with Confero's codecs, a comedia plain transport for the producer, one plain transport and one
 * consumer (paused, then resumed, with Confero's consume options) per subscriber. No signalling, no rooms.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from '../../../server/src/media/codecs';
import { PRODUCER_RTP_PARAMETERS, SINK_SRTP_PARAMETERS } from './feed';
import type { Forwarder } from './measure';
import { placeForwarder, type PinningPlan } from './pinning';

export interface BareSetup {
  sinkPort: number;
  portRange: { min: number; max: number };
  plan: PinningPlan | undefined;
  /** Confero's MEDIASOUP_WORKER_BIN resolution: the env variable, else mediasoup's own. */
  workerBin: string | undefined;
  /** Subscriber transports protected with SRTP. */
  srtp: boolean;
}

export class BareMediasoupForwarder implements Forwarder {
  readonly name: string;
  readonly maxSubscribers: number;
  readonly #consumers: { transport: types.PlainTransport; consumer: types.Consumer }[] = [];

  private constructor(
    private readonly setup: BareSetup,
    private readonly worker: types.Worker,
    private readonly router: types.Router,
    private readonly producer: types.Producer,
    /** Where the feeder sends. */
    readonly producerAddress: { ip: string; port: number },
  ) {
    this.maxSubscribers = setup.portRange.max - setup.portRange.min;
    this.name = setup.srtp ? 'bare mediasoup (SRTP)' : 'bare mediasoup';
  }

  static async start(setup: BareSetup): Promise<BareMediasoupForwarder> {
    const worker = await mediasoup.createWorker({ logLevel: 'warn', ...(setup.workerBin ? { workerBin: setup.workerBin } : {}) });
    try {
      await placeForwarder(worker.pid, setup.plan);
      const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
      const transport = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1', portRange: setup.portRange },
        rtcpMux: true,
        comedia: true,
      });
      const producer = await transport.produce({ kind: 'video', rtpParameters: PRODUCER_RTP_PARAMETERS });
      const address = { ip: transport.tuple.localAddress, port: transport.tuple.localPort };
      return new BareMediasoupForwarder(setup, worker, router, producer, address);
    } catch (error) {
      worker.close();
      throw error;
    }
  }

  get pid(): number {
    return this.worker.pid;
  }

  async setSubscribers(n: number): Promise<void> {
    while (this.#consumers.length < n) {
      const transport = await this.router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1', portRange: this.setup.portRange },
        rtcpMux: true,
        comedia: false,
        ...(this.setup.srtp ? { enableSrtp: true, srtpCryptoSuite: SINK_SRTP_PARAMETERS.cryptoSuite } : {}),
      });
      await transport.connect({ ip: '127.0.0.1', port: this.setup.sinkPort, ...(this.setup.srtp ? { srtpParameters: SINK_SRTP_PARAMETERS } : {}) });
      const consumer = await transport.consume({
        producerId: this.producer.id,
        rtpCapabilities: this.router.rtpCapabilities,
        paused: true,
        enableRtx: true,
        ignoreDtx: true,
      });
      await consumer.resume();
      this.#consumers.push({ transport, consumer });
    }
  }

  close(): void {
    this.worker.close();
  }
}
