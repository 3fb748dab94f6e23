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

/**
 * How long a new room waits for a worker when none is live (one-worker pool whose worker just died): the
 * replacement takes ~0.3 s to start, so a rejoin is answered instead of refused.
 */
const WAIT_FOR_WORKER_MS = 5_000;

export class RoomMedia {
  private constructor(
    readonly slot: WorkerSlot,
    readonly router: types.Router,
    readonly activeSpeaker: types.ActiveSpeakerObserver,
    readonly audioLevels: types.AudioLevelObserver,
    private readonly media: Config['media'],
  ) {}

  /**
   * A router on the least-loaded live worker. This is also how rooms of a dead worker are recreated: on
   * demand, when the first of their peers rejoins (the directory dropped the dead room when it closed).
   * We chose that over recreating them proactively at the death because the peers can be told at once —
   * a proactive router would have to exist before the `roomClosed` goes out — and because a room whose
   * peers do not come back then costs nothing; creating a router on a live worker takes milliseconds, and
   * concurrent rejoins share the one creation (InMemoryRoomDirectory.acquire).
   */
  static async create(pool: WorkerPool, media: Config['media']): Promise<RoomMedia> {
    let slot = await pool.whenLive(WAIT_FOR_WORKER_MS);
    let router: types.Router;
    try {
      router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    } catch (error) {
      // The worker died between the pick and the router (a crash while peers rejoin): once more, elsewhere.
      if (!slot.worker.died && !slot.worker.closed) throw error;
      slot = await pool.whenLive(WAIT_FOR_WORKER_MS);
      router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    }
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

  /**
   * Plain RTP over UDP (bots, ingest). A send transport learns the sender's address from its first packet.
   * With `srtp`, RTP and RTCP are SRTP-protected both ways with AES_CM_128_HMAC_SHA1_80 (what ffmpeg and
   * GStreamer speak); the transport's srtpParameters hold its key.
   */
  async createPlainTransport(appData: TransportAppData, srtp = false): Promise<types.PlainTransport<TransportAppData>> {
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
      ...(srtp ? { enableSrtp: true, srtpCryptoSuite: 'AES_CM_128_HMAC_SHA1_80' as const } : {}),
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
    const router = await (await pool.whenLive(WAIT_FOR_WORKER_MS)).worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    cachedCapabilities = router.rtpCapabilities;
    router.close();
  }
  return cachedCapabilities;
}
