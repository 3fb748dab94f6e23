/**
 * The RTCP a sim bot sends and understands, nothing more:
 *   sends     SR (RFC 3550 §6.4.1) for its own streams, RR (§6.4.2) and generic NACK (RFC 4585 §6.2.1)
 *             for the streams it receives, and XR receiver reference time (RFC 3611 §4.4) so that the
 *             SFU answers with DLRR and receivers learn their round-trip time;
 *   reads     PLI and FIR (keyframe requests, RFC 4585 §6.3.1 / RFC 5104 §4.3.1) and NACK aimed at its
 *             streams, SR (for the LSR/DLSR fields of its RRs) and XR DLRR (for the RTT).
 */

const RTCP_SR = 200;
const RTCP_RR = 201;
const RTCP_RTPFB = 205;
const RTCP_PSFB = 206;
const RTCP_XR = 207;
const FMT_NACK = 1;
const FMT_PLI = 1;
const FMT_FIR = 4;
const XR_RRTR = 4;
const XR_DLRR = 5;

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

export interface NtpTime {
  seconds: number;
  fraction: number;
}

/** Wall-clock time as NTP, with sub-millisecond precision. */
export function ntpNow(): NtpTime {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return { seconds: (seconds + NTP_UNIX_OFFSET_S) >>> 0, fraction: Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000) >>> 0 };
}

/** The middle 32 bits of an NTP time (units of 1/65536 s), as LSR, LRR and DLSR fields carry it. */
export function compactNtp(time: NtpTime): number {
  return (((time.seconds & 0xffff) << 16) | (time.fraction >>> 16)) >>> 0;
}

function header(packet: Buffer, countOrFormat: number, packetType: number): void {
  packet[0] = 0x80 | (countOrFormat & 0x1f);
  packet[1] = packetType;
  packet.writeUInt16BE(packet.length / 4 - 1, 2);
}

export function senderReport(ssrc: number, ntp: NtpTime, rtpTimestamp: number, packets: number, octets: number): Buffer {
  const packet = Buffer.alloc(28);
  header(packet, 0, RTCP_SR);
  packet.writeUInt32BE(ssrc >>> 0, 4);
  packet.writeUInt32BE(ntp.seconds >>> 0, 8);
  packet.writeUInt32BE(ntp.fraction >>> 0, 12);
  packet.writeUInt32BE(rtpTimestamp >>> 0, 16);
  packet.writeUInt32BE(packets >>> 0, 20);
  packet.writeUInt32BE(octets >>> 0, 24);
  return packet;
}

/** One report block of an RR: how a received stream is doing. */
export interface ReportBlock {
  ssrc: number;
  /** Lost since the previous report, as a fraction of 256. */
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  lastSenderReport: number;
  delaySinceLastSenderReport: number;
}

/** An RR with up to 31 blocks (the count field has 5 bits); more blocks need more RRs. */
export function receiverReport(senderSsrc: number, blocks: readonly ReportBlock[]): Buffer {
  if (blocks.length > 31) throw new RangeError('an RR carries at most 31 report blocks');
  const packet = Buffer.alloc(8 + 24 * blocks.length);
  header(packet, blocks.length, RTCP_RR);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  blocks.forEach((block, i) => {
    const at = 8 + 24 * i;
    packet.writeUInt32BE(block.ssrc >>> 0, at);
    packet[at + 4] = Math.max(0, Math.min(255, block.fractionLost));
    // 24-bit signed; clamp rather than wrap on absurd values.
    packet.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, block.cumulativeLost)), at + 5, 3);
    packet.writeUInt32BE(block.extendedHighestSequence >>> 0, at + 8);
    packet.writeUInt32BE(Math.max(0, Math.round(block.jitter)) >>> 0, at + 12);
    packet.writeUInt32BE(block.lastSenderReport >>> 0, at + 16);
    packet.writeUInt32BE(block.delaySinceLastSenderReport >>> 0, at + 20);
  });
  return packet;
}

/** Generic NACK for `sequenceNumbers` (16-bit) of `mediaSsrc`, packed into PID + bitmask items. */
export function genericNack(senderSsrc: number, mediaSsrc: number, sequenceNumbers: readonly number[]): Buffer {
  const sorted = [...new Set(sequenceNumbers.map((n) => n & 0xffff))].sort((a, b) => a - b);
  const items: { pid: number; mask: number }[] = [];
  for (const seq of sorted) {
    const last = items[items.length - 1];
    const distance = last ? (seq - last.pid) & 0xffff : 0;
    if (last && distance >= 1 && distance <= 16) last.mask |= 1 << (distance - 1);
    else items.push({ pid: seq, mask: 0 });
  }
  const packet = Buffer.alloc(12 + 4 * items.length);
  header(packet, FMT_NACK, RTCP_RTPFB);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  packet.writeUInt32BE(mediaSsrc >>> 0, 8);
  items.forEach((item, i) => {
    packet.writeUInt16BE(item.pid, 12 + 4 * i);
    packet.writeUInt16BE(item.mask, 14 + 4 * i);
  });
  return packet;
}

/** XR with a receiver reference time block: the SFU answers with DLRR for each stream it sends us. */
export function receiverReferenceTime(senderSsrc: number, ntp: NtpTime): Buffer {
  const packet = Buffer.alloc(20);
  header(packet, 0, RTCP_XR);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  packet[8] = XR_RRTR;
  packet.writeUInt16BE(2, 10);
  packet.writeUInt32BE(ntp.seconds >>> 0, 12);
  packet.writeUInt32BE(ntp.fraction >>> 0, 16);
  return packet;
}

/** What a bot reacts to in received RTCP. Every handler is optional. */
export interface RtcpVisitor {
  onKeyFrameRequest?(mediaSsrc: number, kind: 'pli' | 'fir'): void;
  onNack?(mediaSsrc: number, sequenceNumbers: number[]): void;
  /** `ntpCompact`: the middle 32 bits of the report's NTP time (what an RR echoes as LSR). */
  onSenderReport?(ssrc: number, ntpCompact: number): void;
  onDlrr?(ssrc: number, lastReceiverReport: number, delaySinceLastReceiverReport: number): void;
}

/** Walks a (compound) RTCP packet; malformed or truncated parts end the walk silently. */
export function readRtcp(packet: Buffer, visitor: RtcpVisitor): void {
  let offset = 0;
  while (offset + 4 <= packet.length) {
    if (packet[offset]! >> 6 !== 2) return;
    const countOrFormat = packet[offset]! & 0x1f;
    const type = packet[offset + 1]!;
    const size = (packet.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + size > packet.length) return;
    const end = offset + size;
    if (type === RTCP_SR && size >= 28) {
      const ssrc = packet.readUInt32BE(offset + 4);
      const ntp = { seconds: packet.readUInt32BE(offset + 8), fraction: packet.readUInt32BE(offset + 12) };
      visitor.onSenderReport?.(ssrc, compactNtp(ntp));
    } else if (type === RTCP_RTPFB && countOrFormat === FMT_NACK && size >= 16) {
      const mediaSsrc = packet.readUInt32BE(offset + 8);
      const lost: number[] = [];
      for (let at = offset + 12; at + 4 <= end; at += 4) {
        const pid = packet.readUInt16BE(at);
        const mask = packet.readUInt16BE(at + 2);
        lost.push(pid);
        for (let bit = 0; bit < 16; bit++) if (mask & (1 << bit)) lost.push((pid + bit + 1) & 0xffff);
      }
      visitor.onNack?.(mediaSsrc, lost);
    } else if (type === RTCP_PSFB && countOrFormat === FMT_PLI && size >= 12) {
      visitor.onKeyFrameRequest?.(packet.readUInt32BE(offset + 8), 'pli');
    } else if (type === RTCP_PSFB && countOrFormat === FMT_FIR && size >= 20) {
      // FIR names its targets in FCI entries (SSRC, sequence number, 3 reserved bytes).
      for (let at = offset + 12; at + 8 <= end; at += 8) visitor.onKeyFrameRequest?.(packet.readUInt32BE(at), 'fir');
    } else if (type === RTCP_XR && size >= 8) {
      readExtendedReport(packet, offset + 8, end, packet.readUInt32BE(offset + 4), visitor);
    }
    offset = end;
  }
}

function readExtendedReport(packet: Buffer, start: number, end: number, xrSsrc: number, visitor: RtcpVisitor): void {
  let at = start;
  while (at + 4 <= end) {
    const blockType = packet[at]!;
    const blockEnd = at + 4 + 4 * packet.readUInt16BE(at + 2);
    if (blockEnd > end) return;
    if (blockType === XR_DLRR) {
      for (let sub = at + 4; sub + 12 <= blockEnd; sub += 12) {
        const ssrc = packet.readUInt32BE(sub) || xrSsrc;
        visitor.onDlrr?.(ssrc, packet.readUInt32BE(sub + 4), packet.readUInt32BE(sub + 8));
      }
    }
    at = blockEnd;
  }
}
