/**
 * One lightweight load-test bot: Confero's signalling (the client library's SignallingConnection), a
 * real WebRTC stack from libdatachannel (ICE, DTLS, SRTP), synthetic media out, measured media in.
 *
 * start(): open the socket → getRouterRtpCapabilities → join with what the bot can receive (Opus, VP8)
 * → send transport and producers (if publishing) → receive transport. From then on every `newConsumer`
 * is set up and resumed (subscriber.ts). Like the real client, `newConsumer` notifications that arrive
 * before the receive transport exists wait in a buffer.
 *
 * A bot that fails (refused join, ICE failure, lost socket) releases its media at once and keeps its
 * snapshot, with the reason, for the runner.
 */
import type { Notification } from '../../../../protocol/src';
import type { Bot, BotSnapshot, BotSpec, BotState } from '../types';
import { PROTOCOL_VERSION, SignallingConnection } from '../../../../client/src/lib';
import { botCodecs, receiveCapabilities } from './codecs';
import type { MediaClock } from './media-clock';
import { Publisher, type PublisherCounters } from './publisher';
import type { RecordedMedia } from './recorded-media';
import { Subscriber, type SubscriberCounters } from './subscriber';

/** Per signalling request; generous because a loaded server answers slowly, not never. */
const REQUEST_TIMEOUT_MS = 20_000;
/** close() waits this long for the server to answer `leave` before dropping the socket anyway. */
const LEAVE_TIMEOUT_MS = 2_000;

type NewConsumer = Extract<Notification, { method: 'newConsumer' }>['data'];

export interface SimBotCounters extends PublisherCounters, SubscriberCounters {}

/**
 * Packet loss put in on purpose, to see NACK repair and loss counting work (tests, experiments). Only on
 * the way out: loss on the way in would have to happen before SRTP decryption, which libdatachannel
 * does — dropping afterwards makes the retransmission a replay that SRTP rejects.
 */
export interface Impairment {
  /** Fraction (0–0.5) of our RTP first transmissions dropped before they leave. */
  sendLoss?: number;
}

export interface SimBotOptions {
  clock: MediaClock;
  log: (line: string) => void;
  impairment?: Impairment;
  /** Real Opus/VP8 to publish (loaded once per factory), instead of synthetic filler. */
  recorded?: (simulcast: boolean) => Promise<RecordedMedia>;
}

export class SimBot implements Bot {
  readonly spec: BotSpec;
  readonly #clock: MediaClock;
  readonly #log: (line: string) => void;
  readonly #impairment: Impairment;
  readonly #recorded: SimBotOptions['recorded'];
  #state: BotState = 'starting';
  #error: string | undefined;
  #peerId: string | undefined;
  #wsOpenAt: number | undefined;
  #joinedAt: number | undefined;
  #signalling: SignallingConnection | undefined;
  #publisher: Publisher | undefined;
  #subscriber: Subscriber | undefined;
  /** newConsumer notifications that came before the receive transport. */
  #early: NewConsumer[] = [];
  #started = false;
  #closing: Promise<void> | undefined;

  constructor(spec: BotSpec, options: SimBotOptions) {
    this.spec = spec;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#impairment = options.impairment ?? {};
    this.#recorded = options.recorded;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error(`${this.spec.name}: start() can be called once`);
    this.#started = true;
    try {
      await this.#join();
      if (this.#state !== 'starting') throw new Error(this.#error ?? `${this.spec.name} was closed while starting`);
      this.#state = 'joined';
    } catch (error) {
      const message = (error as Error).message;
      this.#fail(message);
      throw new Error(`${this.spec.name}: ${this.#error ?? message}`);
    }
  }

  snapshot(): BotSnapshot {
    const streams = this.#subscriber?.streams() ?? [];
    let firstMediaAt: number | undefined;
    for (const s of streams) if (s.firstAt !== undefined && (firstMediaAt === undefined || s.firstAt < firstMediaAt)) firstMediaAt = s.firstAt;
    return {
      name: this.spec.name,
      room: this.spec.room,
      state: this.#state,
      ...(this.#error !== undefined ? { error: this.#error } : {}),
      ...(this.#peerId !== undefined ? { peerId: this.#peerId } : {}),
      ...(this.#wsOpenAt !== undefined ? { wsOpenAt: this.#wsOpenAt } : {}),
      ...(this.#joinedAt !== undefined ? { joinedAt: this.#joinedAt } : {}),
      ...(firstMediaAt !== undefined ? { firstMediaAt } : {}),
      sent: this.#publisher?.sent() ?? { packets: 0, bytes: 0 },
      streams,
    };
  }

  /** Sim-bot extras beyond the contract, for tests and reports. */
  counters(): SimBotCounters {
    const publisher = this.#publisher?.counters ?? { keyFrameRequests: 0, keyFramesOnRequest: 0, nackedPackets: 0, retransmittedPackets: 0 };
    const subscriber = this.#subscriber?.counters ?? { resumedConsumers: 0, keyFramesReceived: 0, packetsNacked: 0 };
    return { ...publisher, ...subscriber };
  }

  /** Media flows both ways where it should: ICE and DTLS are up on every transport the bot has. */
  get mediaConnected(): boolean {
    return (this.#publisher?.connected ?? true) && (this.#subscriber?.connected ?? true);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      const signalling = this.#signalling;
      const wasJoined = this.#peerId !== undefined && this.#state !== 'failed';
      // A failed bot stays 'failed' (with its reason) for the runner's final snapshot.
      if (this.#state !== 'failed') this.#state = 'closed';
      this.#releaseMedia();
      if (signalling?.isOpen && wasJoined) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, LEAVE_TIMEOUT_MS)));
        await Promise.race([signalling.request('leave', {}).catch(() => undefined), timeout]);
        clearTimeout(timer);
      }
      signalling?.close(1000, 'bot closed');
    } catch (error) {
      this.#log(`${this.spec.name}: error while closing (ignored): ${(error as Error).message}`);
    }
  }

  async #join(): Promise<void> {
    const { spec } = this;
    const signalling = new SignallingConnection(spec.url, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    this.#signalling = signalling;
    signalling.on('notification', (n) => this.#onNotification(n));
    signalling.on('close', ({ code, reason }) => {
      if (this.#state === 'starting' || this.#state === 'joined') this.#fail(`signalling closed (code ${code}${reason ? `: ${reason}` : ''})`);
    });
    await signalling.open();
    this.#wsOpenAt = Date.now();
    const { routerRtpCapabilities } = await signalling.request('getRouterRtpCapabilities', {});
    const codecs = botCodecs(routerRtpCapabilities);
    const joined = await signalling.request('join', {
      protocolVersion: PROTOCOL_VERSION,
      room: spec.room,
      displayName: spec.name,
      rtpCapabilities: receiveCapabilities(codecs),
      ...(spec.token !== undefined ? { token: spec.token } : {}),
    });
    this.#peerId = joined.peerId;
    this.#joinedAt = Date.now();
    const onFailed = (reason: string): void => this.#fail(reason);
    const plan = spec.publish;
    // Send first, as the real client does: creating the receive transport is what makes the server
    // announce the media already in the room.
    if (plan && (plan.audio || plan.video)) {
      const recorded = await this.#recorded?.(plan.simulcast);
      const info = await signalling.request('createTransport', { direction: 'send' });
      this.#assertRunning();
      this.#publisher = new Publisher({
        label: `${spec.name} send`,
        info,
        codecs,
        plan,
        cname: `${spec.name}-${joined.peerId}`.slice(0, 64),
        signalling,
        clock: this.#clock,
        onFailed,
        sendLoss: this.#impairment.sendLoss,
        recorded,
      });
      await this.#publisher.start();
    }
    this.#assertRunning();
    const info = await signalling.request('createTransport', { direction: 'recv' });
    this.#assertRunning();
    this.#subscriber = new Subscriber({
      label: `${spec.name} recv`,
      info,
      codecs,
      signalling,
      clock: this.#clock,
      onFailed,
      onWarning: (message) => this.#log(`${spec.name}: ${message}`),
    });
    for (const early of this.#early.splice(0)) this.#subscriber.add(early);
  }

  #onNotification(notification: Notification): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    switch (notification.method) {
      case 'newConsumer':
        if (this.#subscriber) this.#subscriber.add(notification.data);
        else this.#early.push(notification.data);
        break;
      case 'consumerClosed':
        this.#early = this.#early.filter((c) => c.consumerId !== notification.data.consumerId);
        this.#subscriber?.remove(notification.data.consumerId);
        break;
      case 'roomClosed':
        this.#fail(`the server closed the room (${notification.data.reason})`);
        break;
      case 'producerClosed':
        this.#log(`${this.spec.name}: the server closed our producer ${notification.data.producerId}`);
        break;
      default:
        // Scores, layers, speakers, peers: nothing a sim bot acts on.
        break;
    }
  }

  #assertRunning(): void {
    if (this.#state !== 'starting') throw new Error(this.#error ?? 'closed while starting');
  }

  /** Records the first failure, releases media and the socket; the snapshot keeps the reason. */
  #fail(reason: string): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    this.#state = 'failed';
    this.#error = reason;
    this.#log(`${this.spec.name}: failed: ${reason}`);
    this.#releaseMedia();
    this.#signalling?.close(1000, 'bot failed');
  }

  #releaseMedia(): void {
    this.#early = [];
    this.#publisher?.close();
    this.#subscriber?.close();
  }
}
