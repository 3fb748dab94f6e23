/**
 * One libdatachannel PeerConnection standing for one mediasoup WebRTC transport (send or receive).
 *
 * Negotiation is local: the bot offers its tracks, and the answer is written from the transport's
 * parameters (sdp.ts) — the server never sees SDP. Before the first answer is applied, the bot's DTLS
 * fingerprint goes to the server with connectTransport (role client), so that mediasoup is ready for
 * our DTLS ClientHello when ICE completes. Adding tracks later (new consumers) is a renegotiation with
 * the same ICE credentials and certificate: no new handshake, just new SSRCs routed to new tracks.
 */
import nodeDataChannel from 'node-datachannel';
import type { Audio, PeerConnection, Track, Video } from 'node-datachannel';
import type { TransportInfo } from '../../../../protocol/src';
import type { SignallingConnection } from '../../../../client/src/lib';
import { answerSdp, localFingerprint, offerMids, serverTransport, type AnswerSection, type ServerTransport } from './sdp';

export interface TransportLinkOptions {
  /** For logs and libdatachannel's peer name, e.g. "r0-b3 send". */
  label: string;
  info: TransportInfo;
  signalling: SignallingConnection;
  /** ICE or DTLS failed, or the connection closed while we still used it. Called at most once. */
  onFailed: (reason: string) => void;
}

/**
 * ICE and DTLS on loopback take milliseconds; libjuice itself would give up only after about 30 s. A bot
 * that has not connected by then is reported failed rather than left hanging without media.
 */
const CONNECT_TIMEOUT_MS = 20_000;

export class TransportLink {
  readonly pc: PeerConnection;
  readonly transportId: string;
  readonly #label: string;
  readonly #server: ServerTransport;
  readonly #signalling: SignallingConnection;
  readonly #tracks: Track[] = [];
  #dtlsSent = false;
  #closed = false;
  #failed = false;
  #connected = false;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onFailed: (reason: string) => void;

  constructor(options: TransportLinkOptions) {
    this.#label = options.label;
    this.#server = serverTransport(options.info);
    this.#signalling = options.signalling;
    this.transportId = options.info.transportId;
    this.#onFailed = options.onFailed;
    this.pc = new nodeDataChannel.PeerConnection(options.label, {
      iceServers: [],
      // Loopback servers: gather loopback only, so no packet of the test ever leaves the host.
      ...(isLoopback(this.#server) ? { bindAddress: '127.0.0.1' } : {}),
    });
    this.pc.onStateChange((state) => {
      if (this.#closed) return;
      if (state === 'connected') {
        this.#connected = true;
        clearTimeout(this.#connectTimer);
      }
      if (state === 'failed' || state === 'closed') this.#fail(state === 'failed' ? 'ICE/DTLS failed' : 'connection closed');
    });
  }

  #fail(what: string): void {
    clearTimeout(this.#connectTimer);
    if (this.#failed) return;
    this.#failed = true;
    this.#onFailed(`${this.#label} transport: ${what}`);
  }

  /** ICE and DTLS are up (media can flow). */
  get connected(): boolean {
    return this.#connected && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds a track for the next negotiation. Always through here: node-datachannel keeps the process alive
   * for every track whose 'closed' callback was never set, or that was never closed itself.
   */
  addTrack(media: Audio | Video): Track {
    const track = this.pc.addTrack(media);
    track.onClosed(() => {});
    this.#tracks.push(track);
    return track;
  }

  /**
   * Offers the tracks added so far and applies the server-side answer; `sectionFor` describes each of
   * the offer's m-lines (by mid) as the server's side of it.
   */
  async negotiate(sectionFor: (mid: string) => AnswerSection): Promise<void> {
    if (this.#closed) throw new Error(`${this.#label}: negotiate on a closed transport`);
    // libdatachannel aborts the whole process (an uncaught C++ exception) on an offer without tracks.
    if (this.#tracks.length === 0) throw new Error(`${this.#label}: nothing to negotiate`);
    this.pc.setLocalDescription('offer');
    const offer = this.pc.localDescription()?.sdp;
    if (!offer) throw new Error(`${this.#label}: libdatachannel made no offer`);
    if (!this.#dtlsSent) {
      this.#dtlsSent = true;
      this.#connectTimer = setTimeout(() => {
        if (!this.#closed && !this.#connected) this.#fail(`ICE/DTLS not connected within ${CONNECT_TIMEOUT_MS / 1000} s`);
      }, CONNECT_TIMEOUT_MS);
      await this.#signalling.request('connectTransport', {
        transportId: this.transportId,
        dtlsParameters: { role: 'client', fingerprints: [localFingerprint(offer)] },
      });
      if (this.#closed) return;
    }
    this.pc.setRemoteDescription(answerSdp(this.#server, offerMids(offer).map(sectionFor)), 'answer');
  }

  /** Closes the tracks and the PeerConnection, releasing all their callbacks. Never throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#connectTimer);
    for (const track of this.#tracks.splice(0)) {
      try {
        track.close();
      } catch {
        // closed already
      }
    }
    try {
      this.pc.close();
    } catch {
      // already closed by libdatachannel
    }
  }
}

function isLoopback(server: ServerTransport): boolean {
  return server.iceCandidates.every((c) => c.protocol !== 'udp' || (c.address ?? c.ip).startsWith('127.'));
}
