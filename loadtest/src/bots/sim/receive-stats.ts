/**
 * Receive-side bookkeeping for one remote RTP stream, the way a WebRTC receiver keeps it:
 *   - loss: sequence numbers expected minus distinct ones received, so a gap later filled by a NACK
 *     retransmission (or a late, reordered packet) does not count, and duplicates do not hide losses;
 *   - interarrival jitter (RFC 3550 §6.4.1 / A.8), from in-order packets only (a retransmission's
 *     arrival says nothing about the path's jitter);
 *   - which gaps are due for a NACK (retried with back-off, given up after a while);
 *   - the RR report block (fraction lost since the last report, LSR/DLSR from the sender's last SR);
 *   - round-trip time from the SFU's DLRR answers to our XR receiver reference times.
 */
import { compactNtp, ntpNow, type ReportBlock } from './rtcp';
import type { RtpHeader } from './rtp';
import type { StreamStats } from '../types';

/** How far back (in sequence numbers) a late packet is still recognised and a gap still tracked. */
const WINDOW = 1024;
/** Gaps wider than this are not NACKed (a sender restart, not packet loss). */
const MAX_NACKABLE_GAP = 256;
const MAX_NACK_TRIES = 10;
/** Stop asking for a packet this long after it went missing: it would arrive too late to be played. */
const NACK_GIVE_UP_MS = 1_000;
const MIN_NACK_RETRY_MS = 20;

const NONE: readonly number[] = [];

interface Missing {
  missedAt: number;
  lastNackAt: number;
  tries: number;
}

/**
 * What the RTP of one stream tells: `packets` are distinct packets (retransmissions of a packet count
 * once); `bytes` count every RTP packet received, retransmissions and duplicates included.
 */
export type StreamMeasurements = Pick<StreamStats, 'packets' | 'bytes' | 'lost' | 'jitterMs' | 'rttMs' | 'firstAt'>;

export class ReceiveStats {
  readonly ssrc: number;
  readonly #clockRate: number;
  readonly #nack: boolean;
  #packets = 0;
  #bytes = 0;
  #firstAt: number | undefined;
  /** Extended sequence numbers (cycles counted), valid once a packet arrived. */
  #baseSeq = 0;
  #maxSeq = -1;
  readonly #seen = new Uint8Array(WINDOW);
  readonly #missing = new Map<number, Missing>();
  #jitter = 0;
  #lastArrivalMs = 0;
  #lastTimestamp = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #lastSr: { ntpCompact: number; receivedAtMs: number } | undefined;
  #rttMs: number | undefined;

  constructor(ssrc: number, clockRate: number, nack: boolean) {
    this.ssrc = ssrc;
    this.#clockRate = clockRate;
    this.#nack = nack;
  }

  /**
   * A packet of this stream arrived at `arrivalMs` (performance.now() time base); `wallMs` is Date.now().
   * True when it was new (not a duplicate, not older than the tracking window).
   */
  onPacket(header: RtpHeader, bytes: number, arrivalMs: number, wallMs: number): boolean {
    this.#bytes += bytes;
    if (this.#maxSeq < 0) {
      this.#firstAt = wallMs;
      this.#baseSeq = this.#maxSeq = header.sequenceNumber;
      this.#markSeen(header.sequenceNumber);
      this.#packets++;
      this.#lastArrivalMs = arrivalMs;
      this.#lastTimestamp = header.timestamp;
      return true;
    }
    // The extended number closest to the highest one so far (handles 16-bit wrap in both directions).
    const delta = ((header.sequenceNumber - (this.#maxSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    const seq = this.#maxSeq + delta;
    if (delta > 0) {
      this.#advanceTo(seq, arrivalMs);
      this.#updateJitter(header.timestamp, arrivalMs);
      this.#packets++;
      return true;
    }
    // Late: a retransmission, a reordered packet, or a duplicate.
    if (seq <= this.#maxSeq - WINDOW) return false;
    if (seq < this.#baseSeq) {
      // Reordered ahead of the very first packet: the stream simply started earlier.
      for (let s = seq + 1; s < this.#baseSeq; s++) this.#seen[s % WINDOW] = 0;
      this.#baseSeq = seq;
    } else if (this.#seen[seq % WINDOW]) {
      return false; // duplicate
    }
    this.#markSeen(seq);
    this.#missing.delete(seq);
    this.#packets++;
    return true;
  }

  /** Sequence numbers (16-bit) to NACK now; each is retried with back-off until it arrives or is given up. */
  takeNacks(nowMs: number): readonly number[] {
    if (!this.#nack || this.#missing.size === 0) return NONE;
    const retryMs = Math.max(MIN_NACK_RETRY_MS, 1.5 * (this.#rttMs ?? 30));
    const due: number[] = [];
    for (const [seq, entry] of this.#missing) {
      if (entry.tries >= MAX_NACK_TRIES || nowMs - entry.missedAt > NACK_GIVE_UP_MS || seq <= this.#maxSeq - WINDOW) {
        this.#missing.delete(seq);
        continue;
      }
      if (entry.tries > 0 && nowMs - entry.lastNackAt < retryMs) continue;
      entry.tries++;
      entry.lastNackAt = nowMs;
      due.push(seq & 0xffff);
    }
    return due;
  }

  /** The sender's SR arrived: remembered for the next report block's LSR/DLSR. */
  onSenderReport(ntpCompact: number, nowMs: number): void {
    this.#lastSr = { ntpCompact, receivedAtMs: nowMs };
  }

  /** The SFU's DLRR for this stream: RTT = now − LRR − DLRR (all in 1/65536 s). */
  onDlrr(lastReceiverReport: number, delay: number): void {
    if (lastReceiverReport === 0) return;
    const rtt = (compactNtp(ntpNow()) - lastReceiverReport - delay) >>> 0;
    if (rtt < 60 * 65536) this.#rttMs = (rtt / 65536) * 1000;
  }

  /** The block for our next RR, or undefined before the first packet. Resets the "since last report" counts. */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (this.#maxSeq < 0) return undefined;
    const expected = this.#maxSeq - this.#baseSeq + 1;
    const expectedInterval = expected - this.#expectedPrior;
    const lostInterval = expectedInterval - (this.#packets - this.#receivedPrior);
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#packets;
    const sr = this.#lastSr;
    return {
      ssrc: this.ssrc,
      fractionLost: expectedInterval <= 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval),
      cumulativeLost: this.lost,
      extendedHighestSequence: this.#maxSeq,
      jitter: this.#jitter,
      lastSenderReport: sr?.ntpCompact ?? 0,
      delaySinceLastSenderReport: sr ? Math.round(((nowMs - sr.receivedAtMs) / 1000) * 65536) : 0,
    };
  }

  get lost(): number {
    if (this.#maxSeq < 0) return 0;
    return Math.max(0, this.#maxSeq - this.#baseSeq + 1 - this.#packets);
  }

  measurements(): StreamMeasurements {
    return {
      packets: this.#packets,
      bytes: this.#bytes,
      lost: this.lost,
      jitterMs: (this.#jitter / this.#clockRate) * 1000,
      ...(this.#rttMs !== undefined ? { rttMs: this.#rttMs } : {}),
      ...(this.#firstAt !== undefined ? { firstAt: this.#firstAt } : {}),
    };
  }

  #markSeen(seq: number): void {
    this.#seen[seq % WINDOW] = 1;
  }

  #advanceTo(seq: number, nowMs: number): void {
    const gap = seq - this.#maxSeq - 1;
    if (gap >= WINDOW) this.#seen.fill(0);
    else for (let s = this.#maxSeq + 1; s < seq; s++) this.#seen[s % WINDOW] = 0;
    if (this.#nack && gap > 0 && gap <= MAX_NACKABLE_GAP) {
      for (let s = this.#maxSeq + 1; s < seq; s++) this.#missing.set(s, { missedAt: nowMs, lastNackAt: 0, tries: 0 });
    }
    this.#maxSeq = seq;
    this.#markSeen(seq);
  }

  #updateJitter(timestamp: number, arrivalMs: number): void {
    // D(i-1, i) = (Rj - Ri) - (Sj - Si) in timestamp units; the RTP delta is taken modulo 2^32, signed.
    const arrivalDelta = ((arrivalMs - this.#lastArrivalMs) * this.#clockRate) / 1000;
    const timestampDelta = (timestamp - this.#lastTimestamp) | 0;
    const d = Math.abs(arrivalDelta - timestampDelta);
    this.#jitter += (d - this.#jitter) / 16;
    this.#lastArrivalMs = arrivalMs;
    this.#lastTimestamp = timestamp;
  }
}
