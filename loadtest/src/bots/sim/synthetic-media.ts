/**
 * Synthetic outgoing media: RTP packets that look right to an SFU, made without an encoder.
 *
 * - Opus: one ~20 ms packet per call, a valid TOC byte (CELT fullband 20 ms, mono, one frame) followed
 *   by filler — about 32 kbit/s.
 * - VP8: one frame per call at a target bitrate, split into packets of at most MAX_PAYLOAD bytes, each
 *   with a VP8 payload descriptor (RFC 7741 §4.2) carrying a 15-bit PictureID, TL0PICIDX and TID=0 —
 *   what mediasoup rewrites when it switches simulcast layers — and the marker bit on the frame's last
 *   packet. A keyframe has the S bit and partition 0 in its first packet and the VP8 frame tag's
 *   inverse-keyframe bit cleared, followed by the keyframe start code and the layer's dimensions (RFC
 *   6386 §9.1): that is how mediasoup tells keyframes, which it needs to start and switch consumers.
 *   Frame contents are filler: a browser receiving them would not decode a picture.
 *
 * Either source can instead send a recorded clip in a loop (recorded-media.ts: real Opus and VP8 that a
 * browser decodes), packetized the same way; a keyframe request then restarts the VP8 loop at its keyframe.
 *
 * RTP timestamps follow the wall clock (as a capture clock would), so a late timer shows up as sender
 * delay rather than as receiver jitter.
 */
import type { EncodedFrame } from './recorded-media';
import { allocateRtpPacket, RTP_HEADER_BYTES } from './rtp';

/** RTP payload bytes per packet: with headers and SRTP the UDP payload stays under 1200 bytes. */
const MAX_PAYLOAD = 1100;
const VP8_DESCRIPTOR_BYTES = 6;
const OPUS_PAYLOAD_BYTES = 80;
/** A keyframe is this many times a delta frame's size (real encoders: 5–10×). */
const KEYFRAME_FACTOR = 6;

const FILLER = Buffer.alloc(MAX_PAYLOAD, 0x5a);

/** Sequence numbers, timestamps and counters of one outgoing SSRC. */
export class OutgoingStream {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly clockRate: number;
  /** RTP packets and bytes (headers included) sent; `payloadOctets` is what an SR reports. */
  packets = 0;
  bytes = 0;
  payloadOctets = 0;
  #sequenceNumber = Math.floor(Math.random() * 0x8000);
  readonly #timestampBase = Math.floor(Math.random() * 0x7fffffff);
  readonly #startMs: number;

  constructor(ssrc: number, payloadType: number, clockRate: number, startMs: number) {
    this.ssrc = ssrc;
    this.payloadType = payloadType;
    this.clockRate = clockRate;
    this.#startMs = startMs;
  }

  /** The RTP timestamp of the instant `nowMs` (performance.now() base). */
  timestampAt(nowMs: number): number {
    return (this.#timestampBase + Math.round(((nowMs - this.#startMs) * this.clockRate) / 1000)) >>> 0;
  }

  packet(timestamp: number, marker: boolean, payloadBytes: number): Buffer {
    const packet = allocateRtpPacket({ payloadType: this.payloadType, marker, sequenceNumber: this.#sequenceNumber, timestamp, ssrc: this.ssrc }, payloadBytes);
    this.#sequenceNumber = (this.#sequenceNumber + 1) & 0xffff;
    this.packets++;
    this.bytes += packet.length;
    this.payloadOctets += payloadBytes;
    return packet;
  }
}

export class OpusSource {
  readonly stream: OutgoingStream;
  readonly #clip: EncodedFrame[] | undefined;
  #next = 0;

  constructor(stream: OutgoingStream, clip?: EncodedFrame[]) {
    this.stream = stream;
    this.#clip = clip;
  }

  /** One 20 ms packet. */
  packet(nowMs: number): Buffer {
    const timestamp = this.stream.timestampAt(nowMs);
    if (this.#clip) {
      const { data } = this.#clip[this.#next]!;
      this.#next = (this.#next + 1) % this.#clip.length;
      const packet = this.stream.packet(timestamp, false, data.length);
      data.copy(packet, RTP_HEADER_BYTES);
      return packet;
    }
    const packet = this.stream.packet(timestamp, false, OPUS_PAYLOAD_BYTES);
    packet[RTP_HEADER_BYTES] = (31 << 3) | 0; // TOC: config 31 (CELT FB 20 ms), mono, code 0 (one frame)
    FILLER.copy(packet, RTP_HEADER_BYTES + 1, 0, OPUS_PAYLOAD_BYTES - 1);
    return packet;
  }
}

export interface Vp8Layer {
  width: number;
  height: number;
  bitrate: number;
}

export class Vp8Source {
  readonly stream: OutgoingStream;
  readonly #layer: Vp8Layer;
  readonly #deltaFrameBytes: number;
  #pictureId = Math.floor(Math.random() * 0x7fff);
  #tl0PicIdx = Math.floor(Math.random() * 0xff);
  /** The first frame is a keyframe; later ones only when requested. */
  #keyFrameWanted = true;
  /** Keyframes sent at the start or on request (a recorded clip's own keyframe on each loop not counted). */
  keyFrames = 0;
  readonly #clip: EncodedFrame[] | undefined;
  #next = 0;

  constructor(stream: OutgoingStream, layer: Vp8Layer, framesPerSecond: number, clip?: EncodedFrame[]) {
    this.stream = stream;
    this.#layer = layer;
    this.#deltaFrameBytes = Math.max(100, Math.round(layer.bitrate / 8 / framesPerSecond));
    this.#clip = clip;
  }

  /** The next frame will be a keyframe (a PLI or FIR asked for one). */
  requestKeyFrame(): void {
    this.#keyFrameWanted = true;
  }

  /** The RTP packets of one frame. */
  frame(nowMs: number): Buffer[] {
    const keyFrame = this.#keyFrameWanted;
    this.#keyFrameWanted = false;
    if (keyFrame) this.keyFrames++;
    let recorded: Buffer | undefined;
    if (this.#clip) {
      if (keyFrame) this.#next = 0; // the clip's keyframe
      recorded = this.#clip[this.#next]!.data;
      this.#next = (this.#next + 1) % this.#clip.length;
    }
    const frameBytes = recorded?.length ?? (keyFrame ? this.#deltaFrameBytes * KEYFRAME_FACTOR : this.#deltaFrameBytes);
    const timestamp = this.stream.timestampAt(nowMs);
    const chunk = MAX_PAYLOAD - VP8_DESCRIPTOR_BYTES;
    const count = Math.ceil(frameBytes / chunk);
    const packets: Buffer[] = [];
    for (let i = 0, left = frameBytes; i < count; i++) {
      const bytes = Math.min(chunk, left);
      left -= bytes;
      const packet = this.stream.packet(timestamp, i === count - 1, VP8_DESCRIPTOR_BYTES + bytes);
      this.#writeDescriptor(packet, i === 0);
      const payload = RTP_HEADER_BYTES + VP8_DESCRIPTOR_BYTES;
      if (recorded) {
        recorded.copy(packet, payload, i * chunk, i * chunk + bytes);
      } else {
        FILLER.copy(packet, payload, 0, bytes);
        if (i === 0) this.#writeFrameHeader(packet, payload, keyFrame, frameBytes);
      }
      packets.push(packet);
    }
    this.#pictureId = (this.#pictureId + 1) & 0x7fff;
    this.#tl0PicIdx = (this.#tl0PicIdx + 1) & 0xff;
    return packets;
  }

  #writeDescriptor(packet: Buffer, startOfFrame: boolean): void {
    const at = RTP_HEADER_BYTES;
    packet[at] = 0x80 | (startOfFrame ? 0x10 : 0); // X, S, partition index 0
    packet[at + 1] = 0xe0; // I (PictureID), L (TL0PICIDX), T (TID) present
    packet[at + 2] = 0x80 | (this.#pictureId >> 8); // M bit: 15-bit PictureID
    packet[at + 3] = this.#pictureId & 0xff;
    packet[at + 4] = this.#tl0PicIdx;
    packet[at + 5] = 0x20; // TID 0, Y (layer sync), KEYIDX 0
  }

  /** The VP8 frame tag (3 bytes) and, for keyframes, the start code and dimensions (7 bytes). */
  #writeFrameHeader(packet: Buffer, at: number, keyFrame: boolean, frameBytes: number): void {
    const firstPartitionBytes = Math.min(frameBytes - 10, 0x7ffff);
    // bit 0: inverse keyframe flag; bits 1–3: version 0; bit 4: show_frame; bits 5–23: first partition size
    const tag = (keyFrame ? 0 : 1) | (1 << 4) | (firstPartitionBytes << 5);
    packet[at] = tag & 0xff;
    packet[at + 1] = (tag >> 8) & 0xff;
    packet[at + 2] = (tag >> 16) & 0xff;
    if (!keyFrame) return;
    packet[at + 3] = 0x9d;
    packet[at + 4] = 0x01;
    packet[at + 5] = 0x2a;
    packet.writeUInt16LE(this.#layer.width & 0x3fff, at + 6);
    packet.writeUInt16LE(this.#layer.height & 0x3fff, at + 8);
  }
}

/** The last packets sent on one SSRC, for answering NACKs with the very same packet. */
export class RetransmissionBuffer {
  readonly #packets: (Buffer | undefined)[];

  constructor(size: number) {
    this.#packets = new Array<Buffer | undefined>(size);
  }

  store(packet: Buffer): void {
    this.#packets[packet.readUInt16BE(2) % this.#packets.length] = packet;
  }

  get(sequenceNumber: number): Buffer | undefined {
    const packet = this.#packets[sequenceNumber % this.#packets.length];
    return packet && packet.readUInt16BE(2) === sequenceNumber ? packet : undefined;
  }
}
