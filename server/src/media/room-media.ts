/**
 * Everything one room needs from mediasoup: a router on the least-loaded worker, its WebRtcServer, the
 * speaker observers, and transport factories. The rooms layer never calls mediasoup's factories itself,
 * so placement and transport settings live here.
 */
import type { types } from 'mediasoup';
import type { Config } from '../config';
import { MEDIA_CODECS } from './codecs';
import type { WorkerPool, WorkerSlot } from './worker-pool';

export type Direction = 'send' | 'recv';

export interface TransportAppData extends types.AppData {
  direction: Direction;
  peerId: string;
  /** An SCTP association is open on it (DataChannels). */
  sctp: boolean;
}

export type MediaTransport = types.WebRtcTransport<TransportAppData> | types.PlainTransport<TransportAppData>;

export class RoomMedia {
  private constructor(
    readonly slot: WorkerSlot,
    readonly router: types.Router,
    readonly activeSpeaker: types.ActiveSpeakerObserver,
    readonly audioLevels: types.AudioLevelObserver,
    private readonly media: Config['media'],
  ) {}

  static async create(pool: WorkerPool, media: Config['media']): Promise<RoomMedia> {
    const slot = pool.leastLoaded();
    const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    try {
      const activeSpeaker = await router.createActiveSpeakerObserver({ interval: 300 });
      const audioLevels = await router.createAudioLevelObserver({ maxEntries: 8, threshold: -70, interval: 800 });
      return new RoomMedia(slot, router, activeSpeaker, audioLevels, media);
    } catch (error) {
      router.close();
      throw error;
    }
  }

  get workerIndex(): number {
    return this.slot.index;
  }

  async createWebRtcTransport(opts: {
    appData: TransportAppData;
    forceTcp: boolean;
    enableSctp: boolean;
    maxIncomingBitrate: number;
  }): Promise<types.WebRtcTransport<TransportAppData>> {
    const transport = await this.router.createWebRtcTransport<TransportAppData>({
      webRtcServer: this.slot.webRtcServer,
      enableUdp: !opts.forceTcp,
      enableTcp: true,
      preferUdp: true,
      enableSctp: opts.enableSctp,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: opts.appData,
    });
    if (opts.appData.direction === 'send') await transport.setMaxIncomingBitrate(opts.maxIncomingBitrate);
    return transport;
  }

  /** Plain RTP over UDP (bots, ingest). A send transport learns the sender's address from its first packet. */
  async createPlainTransport(appData: TransportAppData): Promise<types.PlainTransport<TransportAppData>> {
    return this.router.createPlainTransport<TransportAppData>({
      listenInfo: {
        protocol: 'udp',
        // Plain RTP has no ICE: one address, the first (IPv4 when there is one) of the media listen plan.
        ip: this.media.listen[0]!.ip,
        ...(this.media.listen[0]!.announcedAddress ? { announcedAddress: this.media.listen[0]!.announcedAddress } : {}),
        portRange: { min: this.media.rtcMinPort, max: this.media.rtcMaxPort },
      },
      rtcpMux: true,
      comedia: appData.direction === 'send',
      appData,
    });
  }

  /** Called once when the router goes away because its worker died. */
  onWorkerClose(listener: () => void): void {
    this.router.once('workerclose', listener);
  }

  close(): void {
    this.router.close();
  }
}

/**
 * Every router is built from the same codec list, so their RTP capabilities are identical: computed once
 * from a throwaway router and then answered without a room (getRouterRtpCapabilities before join).
 */
let cachedCapabilities: types.RtpCapabilities | undefined;

export async function routerRtpCapabilities(pool: WorkerPool): Promise<types.RtpCapabilities> {
  if (!cachedCapabilities) {
    const router = await pool.leastLoaded().worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    cachedCapabilities = router.rtpCapabilities;
    router.close();
  }
  return cachedCapabilities;
}
