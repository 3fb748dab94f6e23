/**
 * Our own media: one publication per source (mic, webcam, screen, screen-audio). A publication outlives
 * the connection — it remembers the track, the options and the muted state — so that after a
 * reconnection the same tracks are published again exactly as they were.
 *
 * The library never stops the application's tracks (stopTracks: false): re-publishing needs them alive,
 * and the page decides when the camera light goes off.
 */
import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../../protocol/src';
import { SOURCE_KIND } from './protocol';
import type { Emitter } from './emitter';
import type { SessionEvents, UnpublishReason } from './events';
import type { RoomLink } from './room-link';
import type { ProducerAppData } from './transports';

export interface PublishOptions {
  source: MediaSource;
  /** Webcam only: send three spatial layers so the SFU can pick one per receiver. Default true. */
  simulcast?: boolean;
}

interface Publication {
  track: MediaStreamTrack;
  options: Required<PublishOptions>;
  muted: boolean;
  /** Muted by an admin (producerMuted), not by us: an admin's unmute may lift only such a mute. */
  mutedByAdmin: boolean;
  producer: types.Producer | undefined;
}

/** See serverClosed(). Long enough for roomClosed or the socket's close to arrive behind producerClosed. */
const SERVER_CLOSE_GRACE_MS = 1_500;

/**
 * Webcam simulcast: quarter, half and full resolution. L1T3 adds three temporal layers to each, which
 * setPreferredLayers can pick from. The top layer's bitrate suits 720p; the SFU forwards only one layer
 * per receiver, so a weak receiver costs the sender nothing extra.
 */
function webcamEncodings(): types.RtpEncodingParameters[] {
  // A fresh array every time: handlers write ssrc/rid into the objects they are given.
  return [
    { scaleResolutionDownBy: 4, maxBitrate: 100_000, scalabilityMode: 'L1T3' },
    { scaleResolutionDownBy: 2, maxBitrate: 300_000, scalabilityMode: 'L1T3' },
    { scaleResolutionDownBy: 1, maxBitrate: 900_000, scalabilityMode: 'L1T3' },
  ];
}

const CODEC_OPTIONS: Record<MediaSource, types.ProducerCodecOptions> = {
  // Speech: mono, DTX (no packets in silence), in-band FEC against loss.
  mic: { opusStereo: false, opusDtx: true, opusFec: true },
  // Shared-tab audio is often music: stereo, and no DTX that would chop quiet passages.
  'screen-audio': { opusStereo: true, opusDtx: false, opusFec: true },
  // Start near the target bitrate instead of ramping up from 300 kbps over several seconds.
  webcam: { videoGoogleStartBitrate: 1000 },
  screen: { videoGoogleStartBitrate: 1000 },
};

export class Publisher {
  readonly #publications = new Map<MediaSource, Publication>();
  readonly #events: Pick<Emitter<SessionEvents>, 'emit'>;

  constructor(events: Pick<Emitter<SessionEvents>, 'emit'>) {
    this.#events = events;
  }

  producer(source: MediaSource): types.Producer | undefined {
    return this.#publications.get(source)?.producer;
  }

  list(): { source: MediaSource; track: MediaStreamTrack; muted: boolean; producerId: string | undefined }[] {
    return [...this.#publications].map(([source, p]) => ({ source, track: p.track, muted: p.muted, producerId: p.producer?.id }));
  }

  /** Publishes a track on the link; replaces an earlier publication of the same source. */
  async publish(link: RoomLink, track: MediaStreamTrack, options: PublishOptions): Promise<types.Producer> {
    const { source } = options;
    if (SOURCE_KIND[source] !== track.kind) throw new TypeError(`a ${track.kind} track cannot be published as ${source}`);
    if (track.readyState === 'ended') throw new TypeError('the track has ended');
    if (this.#publications.has(source)) await this.unpublish(link, source, 'local');
    const publication: Publication = {
      track,
      options: { source, simulcast: options.simulcast ?? true },
      muted: false,
      mutedByAdmin: false,
      producer: undefined,
    };
    this.#publications.set(source, publication);
    try {
      return await this.#produce(link, publication);
    } catch (error) {
      // Only what publish() returned counts as published; a failed attempt is not retried on reconnect.
      if (this.#publications.get(source) === publication) this.#publications.delete(source);
      throw error;
    }
  }

  /** After a reconnection: publishes every remembered track again, muted ones paused. */
  async republishAll(link: RoomLink): Promise<void> {
    for (const [source, publication] of [...this.#publications]) {
      if (publication.track.readyState === 'ended') {
        void this.unpublish(undefined, source, 'track-ended');
        continue;
      }
      try {
        await this.#produce(link, publication);
      } catch (error) {
        if (link.closed) throw error; // the new connection broke too: keep the publication for the next one
        this.#events.emit('error', { context: `re-publish ${source}`, error: error as Error });
        void this.unpublish(undefined, source, 'republish-failed');
      }
    }
  }

  /**
   * Mutes by pausing the producer: locally (the track is disabled, nothing is sent) and on the server (so
   * receivers get consumerPaused and can show a muted icon). Without a link, only the state is kept —
   * the next re-publish applies it. A no-op for a source that is not published.
   */
  async setMuted(link: RoomLink | undefined, source: MediaSource, muted: boolean): Promise<void> {
    const publication = this.#publications.get(source);
    if (!publication) return;
    // Our own choice from now on, even when it confirms an admin's mute.
    publication.mutedByAdmin = false;
    if (publication.muted === muted) return;
    publication.muted = muted;
    const producer = publication.producer;
    if (!producer || producer.closed || !link || link.closed) return;
    if (muted) producer.pause();
    else producer.resume();
    try {
      await link.signalling.request(muted ? 'pauseProducer' : 'resumeProducer', { producerId: producer.id });
    } catch (error) {
      if (!link.closed) throw error; // a lost link re-applies the state on re-publish
    }
  }

  /**
   * An admin paused or resumed one of our producers on the server (producerMuted). A mute is followed at
   * once, locally too (the track is disabled, as by setMuted). An unmute only gives back what an admin
   * took: a source we muted ourselves stays muted — and is paused on the server again, so that receivers
   * are not told it is live while we send nothing. We may still unmute ourselves after an admin's mute.
   */
  serverMuted(link: RoomLink, producerId: string, muted: boolean): void {
    for (const [source, publication] of this.#publications) {
      const producer = publication.producer;
      if (producer?.id !== producerId || producer.closed) continue;
      if (muted && !publication.muted) {
        publication.muted = true;
        publication.mutedByAdmin = true;
        producer.pause();
        this.#events.emit('adminMuted', { source, muted });
      } else if (!muted && publication.mutedByAdmin) {
        publication.muted = false;
        publication.mutedByAdmin = false;
        producer.resume();
        this.#events.emit('adminMuted', { source, muted });
      } else if (!muted && publication.muted && !link.closed) {
        void link.signalling.request('pauseProducer', { producerId }).catch(() => undefined);
      }
    }
  }

  /** Swaps the track of a publication (another camera) without renegotiation; receivers keep their consumer. */
  async replaceTrack(source: MediaSource, track: MediaStreamTrack): Promise<void> {
    const publication = this.#publications.get(source);
    if (!publication) throw new Error(`nothing is published as ${source}`);
    if (SOURCE_KIND[source] !== track.kind) throw new TypeError(`a ${track.kind} track cannot replace ${source}`);
    if (publication.producer && !publication.producer.closed) await publication.producer.replaceTrack({ track });
    publication.track = track;
    // A paused producer disables the new track too, like it did the old one.
    if (publication.muted) track.enabled = false;
  }

  async unpublish(link: RoomLink | undefined, source: MediaSource, reason: UnpublishReason): Promise<void> {
    const publication = this.#publications.get(source);
    if (!publication) return;
    this.#publications.delete(source);
    const producer = publication.producer;
    publication.producer = undefined;
    producer?.close();
    // Pausing disabled the track; hand it back to the application as it was given.
    if (publication.muted) publication.track.enabled = true;
    if (reason !== 'local') this.#events.emit('unpublished', { source, reason });
    if (!producer || !link || link.closed) return;
    try {
      await link.signalling.request('closeProducer', { producerId: producer.id });
    } catch {
      // not_found (the server closed it first) or a lost link: either way it is gone.
    }
  }

  /**
   * The server closed one of our producers (producerClosed). Today that happens when its transport
   * closes — which is how a dying worker or a closing room looks too, just before roomClosed or the
   * socket drops. So the decision waits: if the link is lost within the grace period, the publication
   * is kept and re-published after the reconnection; if the link lives on, it really was closed.
   */
  serverClosed(link: RoomLink, producerId: string): void {
    for (const [source, publication] of this.#publications) {
      const producer = publication.producer;
      if (producer?.id !== producerId) continue;
      publication.producer = undefined;
      producer.close();
      setTimeout(() => {
        if (link.closed || this.#publications.get(source) !== publication || publication.producer) return;
        void this.unpublish(undefined, source, 'server');
      }, SERVER_CLOSE_GRACE_MS);
    }
  }

  /** The link is gone: its producers were closed with the transport. Publications stay for re-publish. */
  detach(): void {
    for (const publication of this.#publications.values()) publication.producer = undefined;
  }

  /** leave(): forget everything (producers are already closed with the transports). */
  clear(): void {
    for (const publication of this.#publications.values()) if (publication.muted) publication.track.enabled = true;
    this.#publications.clear();
  }

  async #produce(link: RoomLink, publication: Publication): Promise<types.Producer> {
    const { source, simulcast } = publication.options;
    const kind = SOURCE_KIND[source];
    if (!link.device.canProduce(kind)) throw new Error(`this device cannot send ${kind}`);
    const appData: ProducerAppData = { source, ...(publication.muted ? { paused: true } : {}) };
    let encodings: types.RtpEncodingParameters[] | undefined;
    let codec: types.RtpCodecCapability | undefined;
    if (source === 'webcam' && simulcast) {
      // Simulcast is VP8's strength (and what the server's layer selection is tuned for).
      codec = link.device.sendRtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
      encodings = webcamEncodings();
    }
    const producer = await link.sendTransport.produce({
      track: publication.track,
      encodings,
      codec,
      codecOptions: CODEC_OPTIONS[source],
      stopTracks: false,
      appData,
    });
    // Unpublished, re-published or disconnected while the server was answering: this producer is stale.
    if (this.#publications.get(source) !== publication || link.closed) {
      producer.close();
      if (!link.closed) void link.signalling.request('closeProducer', { producerId: producer.id }).catch(() => undefined);
      throw new Error(`${source} was unpublished or the connection was lost while publishing`);
    }
    // The server created it paused (appData.paused); pause locally too, which disables the track.
    if (publication.muted) producer.pause();
    publication.producer = producer;
    producer.on('trackended', () => {
      if (this.#publications.get(source) === publication) void this.unpublish(link, source, 'track-ended');
    });
    return producer;
  }
}
