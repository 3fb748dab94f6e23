/**
 * A sim bot's receive side: the receive transport's PeerConnection, one receive-only track per consumer,
 * and the measurements of every remote stream.
 *
 * The sequence is the real client's: a `newConsumer` (the server created it paused) is set up locally
 * first — a new m-line, renegotiated, so libdatachannel routes the consumer's SSRC to a track — and only
 * then resumed with `resumeConsumer`, so its first keyframe is not lost. Consumers announced together
 * are set up in one renegotiation. Like a browser receiver, the bot NACKs video gaps and sends an RR
 * (plus an XR receiver reference time, for RTT) about once a second.
 */
import nodeDataChannel from 'node-datachannel';
import type { Track } from 'node-datachannel';
import type { NotificationData, TransportInfo } from '../../../../protocol/src';
import type { StreamStats } from '../types';
import { ProtocolError, type SignallingConnection } from '../../../../client/src/lib';
import { sdpCodec, type BotCodec, type BotCodecs } from './codecs';
import { Cadence, type MediaClock } from './media-clock';
import { genericNack, ntpNow, readRtcp, receiverReferenceTime, receiverReport, type ReportBlock } from './rtcp';
import { isRtcp, isVp8KeyFrameStart, parseRtpHeader, randomSsrc } from './rtp';
import { ReceiveStats } from './receive-stats';
import type { AnswerSection } from './sdp';
import { TransportLink } from './transport-link';

type ConsumerInfo = NotificationData<'newConsumer'>;

interface Consumer {
  info: ConsumerInfo;
  mid: string;
  ssrc: number;
  cname: string;
  codec: BotCodec;
  payloadType: number;
  stats: ReceiveStats;
  track: Track | undefined;
  closed: boolean;
}

const REPORT_MS = 1_000;
const NACK_CHECK_MS = 10;

export interface SubscriberOptions {
  label: string;
  info: TransportInfo;
  codecs: BotCodecs;
  signalling: SignallingConnection;
  clock: MediaClock;
  onFailed: (reason: string) => void;
  /** Something went wrong with one consumer only (the bot goes on). */
  onWarning: (message: string) => void;
}

export interface SubscriberCounters {
  /** Consumers resumed on the server (the whole newConsumer → resumeConsumer sequence done). */
  resumedConsumers: number;
  /** Video keyframes that started arriving (first packet of each). */
  keyFramesReceived: number;
  /** Sequence numbers we asked the SFU to resend (each NACK try counts). */
  packetsNacked: number;
}

export class Subscriber {
  readonly #options: SubscriberOptions;
  readonly #link: TransportLink;
  /** Open consumers by id. */
  readonly #consumers = new Map<string, Consumer>();
  /** Every consumer that got an m-line, closed ones too: SDP never removes an m-line. */
  readonly #byMid = new Map<string, Consumer>();
  readonly #bySsrc = new Map<number, Consumer>();
  #pending: Consumer[] = [];
  /** Renegotiations run one after another; this is the tail of that chain. */
  #negotiating: Promise<void> = Promise.resolve();
  #nextMid = 0;
  readonly #rtcpSsrc = randomSsrc();
  readonly #reports: Cadence;
  readonly #nackChecks: Cadence;
  readonly #unsubscribe: () => void;
  #closed = false;
  readonly counters: SubscriberCounters = { resumedConsumers: 0, keyFramesReceived: 0, packetsNacked: 0 };

  constructor(options: SubscriberOptions) {
    this.#options = options;
    this.#link = new TransportLink({ label: options.label, info: options.info, signalling: options.signalling, onFailed: options.onFailed });
    const now = performance.now();
    this.#reports = new Cadence(REPORT_MS, now + Math.random() * REPORT_MS);
    this.#nackChecks = new Cadence(NACK_CHECK_MS, now);
    this.#unsubscribe = options.clock.subscribe((nowMs) => this.#tick(nowMs));
  }

  /** A `newConsumer` notification: set it up and resume it (asynchronously; failures are warnings). */
  add(info: ConsumerInfo): void {
    if (this.#closed || this.#consumers.has(info.consumerId)) return;
    let consumer: Consumer;
    try {
      consumer = this.#describe(info);
    } catch (error) {
      this.#options.onWarning(`consumer ${info.consumerId} of ${info.peerId} (${info.kind}) not set up: ${(error as Error).message}`);
      return;
    }
    this.#consumers.set(info.consumerId, consumer);
    this.#pending.push(consumer);
    // Consumers announced in one burst (joining a busy room) share one renegotiation.
    this.#negotiating = this.#negotiating.then(() => this.#setUpPending());
  }

  /** `consumerClosed`: the stream ends and leaves the snapshot. */
  remove(consumerId: string): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer) return;
    consumer.closed = true;
    this.#consumers.delete(consumerId);
    if (this.#bySsrc.get(consumer.ssrc) === consumer) this.#bySsrc.delete(consumer.ssrc);
  }

  streams(): StreamStats[] {
    const out: StreamStats[] = [];
    for (const c of this.#consumers.values()) {
      if (c.closed) continue;
      out.push({ peerId: c.info.peerId, kind: c.info.kind, ...c.stats.measurements() });
    }
    return out;
  }

  /** ICE and DTLS are up — or there was nothing to receive yet, so nothing to connect. */
  get connected(): boolean {
    return this.#byMid.size === 0 ? !this.#closed : this.#link.connected;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#pending = [];
    this.#link.close();
  }

  #describe(info: ConsumerInfo): Consumer {
    const codecs = info.rtpParameters.codecs;
    const media = codecs.find((c) => !c.mimeType.toLowerCase().endsWith('/rtx'));
    const codec = info.kind === 'audio' ? this.#options.codecs.audio : this.#options.codecs.video;
    if (!media || media.mimeType.toLowerCase() !== codec.mimeType.toLowerCase()) {
      throw new Error(`codec ${media?.mimeType ?? 'none'} is not ${codec.mimeType}`);
    }
    const ssrc = info.rtpParameters.encodings?.[0]?.ssrc;
    if (ssrc === undefined) throw new Error('no SSRC in its rtpParameters');
    return {
      info,
      mid: `r${this.#nextMid++}`,
      ssrc,
      cname: info.rtpParameters.rtcp?.cname ?? 'confero',
      codec,
      payloadType: media.payloadType,
      stats: new ReceiveStats(
        ssrc,
        media.clockRate,
        codec.rtcpFeedback.some((fb) => fb.type === 'nack' && !fb.parameter),
      ),
      track: undefined,
      closed: false,
    };
  }

  async #setUpPending(): Promise<void> {
    const batch = this.#pending.filter((c) => !c.closed);
    this.#pending = [];
    if (batch.length === 0 || this.#closed) return;
    try {
      for (const consumer of batch) {
        const media =
          consumer.info.kind === 'audio' ? new nodeDataChannel.Audio(consumer.mid, 'RecvOnly') : new nodeDataChannel.Video(consumer.mid, 'RecvOnly');
        if (media instanceof nodeDataChannel.Audio) media.addOpusCodec(consumer.payloadType);
        else media.addVP8Codec(consumer.payloadType);
        const track = this.#link.addTrack(media);
        consumer.track = track;
        this.#byMid.set(consumer.mid, consumer);
        track.onMessage((message) => this.#onMessage(message));
        this.#bySsrc.set(consumer.ssrc, consumer);
      }
      await this.#link.negotiate((mid) => this.#section(mid));
    } catch (error) {
      if (this.#closed) return;
      this.#options.onFailed(`${this.#options.label}: setting up ${batch.length} consumer(s) failed: ${(error as Error).message}`);
      return;
    }
    await Promise.all(batch.map((consumer) => this.#resume(consumer)));
  }

  async #resume(consumer: Consumer): Promise<void> {
    if (consumer.closed || this.#closed) return;
    try {
      await this.#options.signalling.request('resumeConsumer', { consumerId: consumer.info.consumerId });
      this.counters.resumedConsumers++;
    } catch (error) {
      // Closed meanwhile (its producer left): not a problem. Anything else is worth a line.
      const gone = consumer.closed || this.#closed || (error instanceof ProtocolError && error.code === 'not_found');
      if (!gone) this.#options.onWarning(`resumeConsumer ${consumer.info.consumerId} failed: ${(error as Error).message}`);
    }
  }

  #section(mid: string): AnswerSection {
    const consumer = this.#byMid.get(mid);
    if (!consumer) throw new Error(`unexpected m-line ${mid} in the receive offer`);
    const codec = sdpCodec(consumer.codec, consumer.payloadType);
    if (consumer.closed) return { mid, kind: consumer.info.kind, direction: 'inactive', codec };
    return { mid, kind: consumer.info.kind, direction: 'sendonly', codec, ssrcs: [{ ssrc: consumer.ssrc, cname: consumer.cname }] };
  }

  #onMessage(message: Buffer): void {
    if (this.#closed) return;
    if (isRtcp(message)) {
      const now = performance.now();
      readRtcp(message, {
        onSenderReport: (ssrc, ntpCompact) => this.#bySsrc.get(ssrc)?.stats.onSenderReport(ntpCompact, now),
        onDlrr: (ssrc, lrr, dlrr) => this.#bySsrc.get(ssrc)?.stats.onDlrr(lrr, dlrr),
      });
      return;
    }
    const header = parseRtpHeader(message);
    if (!header) return;
    const consumer = this.#bySsrc.get(header.ssrc);
    if (!consumer) return;
    const fresh = consumer.stats.onPacket(header, message.length, performance.now(), Date.now());
    if (fresh && consumer.info.kind === 'video' && isVp8KeyFrameStart(message, header.payloadOffset)) this.counters.keyFramesReceived++;
  }

  #tick(nowMs: number): void {
    if (this.#closed || !this.#link.connected) return;
    if (this.#nackChecks.take(nowMs)) {
      for (const consumer of this.#bySsrc.values()) {
        const lost = consumer.stats.takeNacks(nowMs);
        if (lost.length === 0 || !consumer.track) continue;
        this.counters.packetsNacked += lost.length;
        this.#send(consumer.track, genericNack(this.#rtcpSsrc, consumer.ssrc, lost));
      }
    }
    if (this.#reports.take(nowMs)) this.#sendReports(nowMs);
  }

  /** RRs for every stream (31 blocks each at most) and one XR RRTR, as one compound packet. */
  #sendReports(nowMs: number): void {
    const blocks: ReportBlock[] = [];
    let track: Track | undefined;
    for (const consumer of this.#bySsrc.values()) {
      const block = consumer.stats.reportBlock(nowMs);
      if (block) blocks.push(block);
      track ??= consumer.track;
    }
    if (!track) return;
    const parts: Buffer[] = [];
    for (let i = 0; i < blocks.length || i === 0; i += 31) parts.push(receiverReport(this.#rtcpSsrc, blocks.slice(i, i + 31)));
    parts.push(receiverReferenceTime(this.#rtcpSsrc, ntpNow()));
    this.#send(track, Buffer.concat(parts));
  }

  #send(track: Track, packet: Buffer): void {
    try {
      track.sendMessageBinary(packet);
    } catch {
      // the track closed under us (closing): nothing to report
    }
  }
}
