/**
 * The ceiling: bench/native/udp-relay.c, a batching UDP relay that resends each packet to N streams. A new
 * fan-out restarts it on the same port (the feeder keeps sending; the warm-up covers the gap).
 */
import type { Forwarder } from './measure';
import { NativeHelper } from './native';
import type { PinningPlan } from './pinning';

const FIRST_SSRC = 0x22220000;

export interface RelaySetup {
  binary: string;
  port: number;
  sinkPort: number;
  plan: PinningPlan | undefined;
}

export class UdpRelayForwarder implements Forwarder {
  readonly name = 'UDP relay';
  readonly maxSubscribers = 100_000;
  #relay: NativeHelper | undefined;

  constructor(private readonly setup: RelaySetup) {}

  /** Where the feeder sends. */
  get producerAddress(): { ip: string; port: number } {
    return { ip: '127.0.0.1', port: this.setup.port };
  }

  get pid(): number {
    if (!this.#relay) throw new Error('the UDP relay is not running');
    return this.#relay.pid;
  }

  async setSubscribers(n: number): Promise<void> {
    await this.close();
    const { binary, port, sinkPort, plan } = this.setup;
    const { helper } = await NativeHelper.start(binary, [String(port), '127.0.0.1', String(sinkPort), String(n), String(FIRST_SSRC)], plan, 'forwarder');
    this.#relay = helper;
  }

  async close(): Promise<void> {
    const relay = this.#relay;
    this.#relay = undefined;
    await relay?.stop();
  }
}
