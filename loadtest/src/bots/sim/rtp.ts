/**
 * RTP packets (RFC 3550 §5.1) as the sim bots need them: writing a fixed 12-byte header in front of a
 * payload, and reading the header fields of received packets. No CSRCs or extensions are written (the
 * bots negotiate none); on reading, both are skipped so a server that adds extensions is still parsed.
 */

export const RTP_HEADER_BYTES = 12;

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Where the payload starts (header, CSRCs and extension skipped). */
  payloadOffset: number;
}

export interface RtpFields {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** A new packet: header, then `payloadBytes` zero bytes for the caller to fill from RTP_HEADER_BYTES on. */
export function allocateRtpPacket(fields: RtpFields, payloadBytes: number): Buffer {
  const packet = Buffer.alloc(RTP_HEADER_BYTES + payloadBytes);
  packet[0] = 0x80; // version 2, no padding, no extension, no CSRCs
  packet[1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  packet.writeUInt16BE(fields.sequenceNumber & 0xffff, 2);
  packet.writeUInt32BE(fields.timestamp >>> 0, 4);
  packet.writeUInt32BE(fields.ssrc >>> 0, 8);
  return packet;
}

/**
 * RTP and RTCP share the transport (rtcp-mux). RFC 5761 §4: the second byte of an RTCP packet is its
 * packet type, 192–223, which as an RTP marker+payload type would be the forbidden range 64–95.
 */
export function isRtcp(packet: Uint8Array): boolean {
  if (packet.length < 8) return false;
  const type = packet[1]!;
  return type >= 192 && type <= 223;
}

/** The header of an RTP packet, or undefined when it is not a well-formed RTP version 2 packet. */
export function parseRtpHeader(packet: Buffer): RtpHeader | undefined {
  if (packet.length < RTP_HEADER_BYTES || packet[0]! >> 6 !== 2) return undefined;
  const csrcCount = packet[0]! & 0x0f;
  let offset = RTP_HEADER_BYTES + 4 * csrcCount;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!; // padding: its length is the last byte
  if (offset > end) return undefined;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payloadOffset: offset,
  };
}

/** A random non-zero 32-bit SSRC. */
export function randomSsrc(): number {
  return (Math.floor(Math.random() * 0xfffffffe) + 1) >>> 0;
}

/**
 * Is this VP8 RTP payload the start of a keyframe? RFC 7741 §4.2–4.3: the payload descriptor's S bit
 * and partition index 0, then the VP8 frame tag's inverse keyframe bit cleared (RFC 6386 §9.1).
 */
export function isVp8KeyFrameStart(packet: Buffer, payloadOffset: number): boolean {
  let at = payloadOffset;
  if (at >= packet.length) return false;
  const first = packet[at]!;
  if (!(first & 0x10) || (first & 0x07) !== 0) return false;
  if (first & 0x80) {
    if (++at >= packet.length) return false;
    const extension = packet[at]!;
    if (extension & 0x80) {
      if (++at >= packet.length) return false;
      if (packet[at]! & 0x80) at++; // 15-bit PictureID
    }
    if (extension & 0x40) at++; // TL0PICIDX
    if (extension & 0x30) at++; // TID/Y/KEYIDX
  }
  at++;
  return at < packet.length && (packet[at]! & 0x01) === 0;
}
