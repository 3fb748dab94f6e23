/**
 * A sim bot's send side: the send transport's PeerConnection with one audio and/or one video track,
 * the producers on the server, and the synthetic media paced by the shared clock.
 *
 * It behaves like a browser sender where the SFU can tell: keyframe at start and whenever a PLI or FIR
 * asks (counted: keyFramesOnRequest), NACKed packets resent from a short history, an SR per SSRC about
 * once a second. Simulcast is three VP8 encodings with their own SSRCs, lowest first, in one producer.
 */
import nodeDataChannel from 'node-datachannel';
import type { Track } from 'node-datachannel';
import type { TransportInfo } from '../../../../protocol/src';
import type { SignallingConnection } from '../../../../client/src/lib';
import { produceParameters, sdpCodec, type BotCodecs } from './codecs';
import { Cadence, type MediaClock } from './media-clock';
import { ntpNow, readRtcp, senderReport } from './rtcp';
import { isRtcp, randomSsrc } from './rtp';
import type { AnswerSection } from './sdp';
import { layerKey, type RecordedMedia } from './recorded-media';
import { OpusSource, OutgoingStream, RetransmissionBuffer, Vp8Source, type Vp8Layer } from './synthetic-media';
import { TransportLink } from './transport-link';

export interface PublishPlan {
  audio: boolean;
  video: boolean;
  simulcast: boolean;
}

const FRAMES_PER_SECOND = 30;
const AUDIO_PACKET_MS = 20;
const SENDER_REPORT_MS = 1_000;
/** About a second of the top layer's packets: NACKs come within a few RTTs. */
const RETRANSMISSION_HISTORY = 128;

/**
 * Simulcast layers (quarter, half, full) and the single layer without simulcast: a few hundred kbit/s.
 * At 250 kbit/s a delta frame (~1 KB) fits one packet, as a browser's would at that rate; packets per
 * second, not bytes, are what a bot (and the SFU) pay for.
 */
export const SIMULCAST_LAYERS: Vp8Layer[] = [
  { width: 320, height: 180, bitrate: 60_000 },
  { width: 640, height: 360, bitrate: 125_000 },
  { width: 1280, height: 720, bitrate: 250_000 },
];
export const SINGLE_LAYER: Vp8Layer = { width: 640, height: 360, bitrate: 250_000 };

/** A random phase per bot spreads everyone's packets over the clock's tick instead of one burst. */
const randomPhase = (now: number, period: number): number => now + Math.random() * period;

const AUDIO_MID = '0';
const VIDEO_MID = '1';

export interface PublisherCounters {
  /** PLIs and FIRs received for our video SSRCs. */
  keyFrameRequests: number;
  /** Keyframes sent because of a request (the first keyframe of each layer not included). */
  keyFramesOnRequest: number;
  /** Packets asked for by NACK, and how many of them we still had and resent. */
  nackedPackets: number;
  retransmittedPackets: number;
}

export interface PublisherOptions {
  label: string;
  info: TransportInfo;
  codecs: BotCodecs;
  plan: PublishPlan;
  cname: string;
  signalling: SignallingConnection;
  clock: MediaClock;
  onFailed: (reason: string) => void;
  /** Test impairment: the fraction of first transmissions dropped (as if lost on the way); NACKs repair video. */
  sendLoss?: number;
  /** Real Opus and VP8 to send in a loop instead of synthetic filler (for browsers in the room). */
  recorded?: RecordedMedia;
}

export class Publisher {
  readonly counters: PublisherCounters = { keyFrameRequests: 0, keyFramesOnRequest: 0, nackedPackets: 0, retransmittedPackets: 0 };
  readonly #link: TransportLink;
  readonly #options: PublisherOptions;
  #audio: { source: OpusSource; track: Track; open: boolean; cadence: Cadence } | undefined;
  #video: { layers: Vp8Source[]; track: Track; open: boolean; cadence: Cadence } | undefined;
  readonly #history = new Map<number, RetransmissionBuffer>();
  readonly #reports: Cadence;
  readonly #unsubscribe: () => void;

  constructor(options: PublisherOptions) {
    if (!options.plan.audio && !options.plan.video) throw new Error(`${options.label}: nothing to publish`);
    this.#options = options;
    this.#link = new TransportLink({ label: options.label, info: options.info, signalling: options.signalling, onFailed: options.onFailed });
    const now = performance.now();
    try {
      if (options.plan.audio) this.#addAudio(now);
      if (options.plan.video) this.#addVideo(now);
    } catch (error) {
      this.#link.close();
      throw error;
    }
    this.#reports = new Cadence(SENDER_REPORT_MS, randomPhase(now, SENDER_REPORT_MS));
    this.#unsubscribe = options.clock.subscribe((nowMs) => this.#tick(nowMs));
  }

  #addAudio(now: number): void {
    const { codecs, cname } = this.#options;
    const stream = new OutgoingStream(randomSsrc(), codecs.audio.payloadType, codecs.audio.clockRate, now);
    const media = new nodeDataChannel.Audio(AUDIO_MID, 'SendOnly');
    media.addOpusCodec(codecs.audio.payloadType);
    media.addSSRC(stream.ssrc, cname, cname, 'audio');
    const track = this.#link.addTrack(media);
    const audio = {
      source: new OpusSource(stream, this.#options.recorded?.audio),
      track,
      open: false,
      cadence: new Cadence(AUDIO_PACKET_MS, randomPhase(now, AUDIO_PACKET_MS)),
    };
    this.#audio = audio;
    this.#watchTrack(track, () => (audio.open = true));
  }

  #addVideo(now: number): void {
    const { codecs, cname, plan } = this.#options;
    const layers = plan.simulcast ? SIMULCAST_LAYERS : [SINGLE_LAYER];
    const sources = layers.map(
      (layer) =>
        new Vp8Source(
          new OutgoingStream(randomSsrc(), codecs.video.payloadType, codecs.video.clockRate, now),
          layer,
          FRAMES_PER_SECOND,
          this.#options.recorded?.video.get(layerKey(layer)),
        ),
    );
    const media = new nodeDataChannel.Video(VIDEO_MID, 'SendOnly');
    media.addVP8Codec(codecs.video.payloadType);
    // libdatachannel routes incoming RTCP (PLI, NACK) to the track that names the SSRC.
    for (const source of sources) {
      media.addSSRC(source.stream.ssrc, cname, cname, 'video');
      this.#history.set(source.stream.ssrc, new RetransmissionBuffer(RETRANSMISSION_HISTORY));
    }
    const track = this.#link.addTrack(media);
    const interval = 1000 / FRAMES_PER_SECOND;
    const video = { layers: sources, track, open: false, cadence: new Cadence(interval, randomPhase(now, interval)) };
    this.#video = video;
    this.#watchTrack(track, () => (video.open = true));
  }

  /** Connects the transport and creates the producers; resolves when the server has them all. */
  async start(): Promise<void> {
    const { codecs, cname, signalling } = this.#options;
    await this.#link.negotiate((mid) => this.#section(mid));
    if (this.#audio) {
      const rtpParameters = produceParameters(codecs.audio, [this.#audio.source.stream.ssrc], cname);
      await signalling.request('produce', { transportId: this.#link.transportId, kind: 'audio', source: 'mic', rtpParameters });
    }
    if (this.#video) {
      const ssrcs = this.#video.layers.map((layer) => layer.stream.ssrc);
      const rtpParameters = produceParameters(codecs.video, ssrcs, cname);
      await signalling.request('produce', { transportId: this.#link.transportId, kind: 'video', source: 'webcam', rtpParameters });
    }
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  /** RTP packets and bytes sent so far, retransmissions included. */
  sent(): { packets: number; bytes: number } {
    let packets = 0;
    let bytes = 0;
    for (const stream of this.#streams()) {
      packets += stream.packets;
      bytes += stream.bytes;
    }
    return { packets, bytes };
  }

  close(): void {
    this.#unsubscribe();
    this.#link.close();
  }

  #section(mid: string): AnswerSection {
    const { codecs } = this.#options;
    if (mid === AUDIO_MID) return { mid, kind: 'audio', direction: 'recvonly', codec: sdpCodec(codecs.audio) };
    if (mid === VIDEO_MID) return { mid, kind: 'video', direction: 'recvonly', codec: sdpCodec(codecs.video) };
    throw new Error(`unexpected m-line ${mid} in the send offer`);
  }

  #watchTrack(track: Track, onOpen: () => void): void {
    track.onOpen(onOpen);
    // Incoming on a send-only track is RTCP about our streams: keyframe requests, NACKs, RRs.
    track.onMessage((message) => {
      if (isRtcp(message)) this.#onRtcp(track, message);
    });
  }

  #onRtcp(track: Track, message: Buffer): void {
    readRtcp(message, {
      onKeyFrameRequest: (ssrc) => {
        const layer = this.#video?.layers.find((l) => l.stream.ssrc === ssrc);
        if (!layer) return;
        this.counters.keyFrameRequests++;
        layer.requestKeyFrame();
      },
      onNack: (ssrc, sequenceNumbers) => {
        const history = this.#history.get(ssrc);
        if (!history) return;
        this.counters.nackedPackets += sequenceNumbers.length;
        for (const seq of sequenceNumbers) {
          const packet = history.get(seq);
          if (!packet || !this.#send(track, packet)) continue;
          this.counters.retransmittedPackets++;
          const stream = this.#video?.layers.find((l) => l.stream.ssrc === ssrc)?.stream;
          if (stream) {
            stream.packets++;
            stream.bytes += packet.length;
          }
        }
      },
    });
  }

  #tick(nowMs: number): void {
    if (this.#link.closed) return;
    const audio = this.#audio;
    if (audio?.open) while (audio.cadence.take(nowMs)) this.#sendFirst(audio.track, audio.source.packet(nowMs));
    const video = this.#video;
    if (video?.open) {
      while (video.cadence.take(nowMs)) {
        for (const layer of video.layers) {
          const before = layer.keyFrames;
          const history = this.#history.get(layer.stream.ssrc)!;
          for (const packet of layer.frame(nowMs)) {
            history.store(packet);
            this.#sendFirst(video.track, packet);
          }
          // Every keyframe after the first was asked for.
          if (layer.keyFrames > before && before > 0) this.counters.keyFramesOnRequest++;
        }
      }
    }
    if ((audio?.open || video?.open) && this.#reports.take(nowMs)) this.#sendReports(nowMs);
  }

  #sendReports(nowMs: number): void {
    const ntp = ntpNow();
    if (this.#audio?.open) {
      const s = this.#audio.source.stream;
      this.#send(this.#audio.track, senderReport(s.ssrc, ntp, s.timestampAt(nowMs), s.packets, s.payloadOctets));
    }
    if (this.#video?.open) {
      for (const { stream: s } of this.#video.layers) {
        this.#send(this.#video.track, senderReport(s.ssrc, ntp, s.timestampAt(nowMs), s.packets, s.payloadOctets));
      }
    }
  }

  /** A packet's first transmission, which the test impairment may drop. */
  #sendFirst(track: Track, packet: Buffer): void {
    const loss = this.#options.sendLoss;
    if (loss && Math.random() < loss) return;
    this.#send(track, packet);
  }

  /** Sends one RTP or RTCP packet; false when the track is gone (closing) or its queue refused it. */
  #send(track: Track, packet: Buffer): boolean {
    try {
      return track.sendMessageBinary(packet);
    } catch {
      return false;
    }
  }

  *#streams(): Iterable<OutgoingStream> {
    if (this.#audio) yield this.#audio.source.stream;
    if (this.#video) for (const layer of this.#video.layers) yield layer.stream;
  }
}
