/**
 * SRTP for tests (RFC 3711, AES_CM_128_HMAC_SHA1_80, RTP only, key derivation rate 0): enough to be the
 * far end of a plain transport with `srtp` — protect what a bot publishes, unprotect what it receives —
 * written from the RFC with Node's AES and HMAC so the server's SRTP is checked against an independent
 * implementation, not against itself.
 */
import crypto from 'node:crypto';

const KEY_BYTES = 16;
const SALT_BYTES = 14;
const AUTH_KEY_BYTES = 20;
const TAG_BYTES = 10;

export const SUITE = 'AES_CM_128_HMAC_SHA1_80' as const;

/** A fresh master key and salt, as connectTransport's srtpParameters. */
export function randomSrtpParameters(): { cryptoSuite: typeof SUITE; keyBase64: string } {
  return { cryptoSuite: SUITE, keyBase64: crypto.randomBytes(KEY_BYTES + SALT_BYTES).toString('base64') };
}

/** AES in counter mode from a 16-byte IV: the keystream XORed into `data`. */
function aesCm(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const cipher = crypto.createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** RFC 3711 §4.3.1 with kdr 0: the session key for `label` (0 encryption, 1 auth, 2 salt). */
function deriveKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  iv[7]! ^= label;
  return aesCm(masterKey, iv, Buffer.alloc(length));
}

/** Bytes of an RTP packet's header: fixed part, CSRCs and header extension. */
export function headerLength(packet: Buffer): number {
  let length = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) length += 4 + 4 * packet.readUInt16BE(length + 2);
  return length;
}

export class SrtpSession {
  readonly #key: Buffer;
  readonly #salt: Buffer;
  readonly #authKey: Buffer;
  /** Rollover counter per SSRC, and the last sequence number seen (RFC 3711 §3.3.1, simplified). */
  readonly #rollover = new Map<number, { roc: number; lastSeq: number }>();

  constructor(keyBase64: string) {
    const master = Buffer.from(keyBase64, 'base64');
    if (master.length !== KEY_BYTES + SALT_BYTES) throw new Error(`an ${SUITE} key is ${KEY_BYTES + SALT_BYTES} bytes, not ${master.length}`);
    const masterKey = master.subarray(0, KEY_BYTES);
    const masterSalt = master.subarray(KEY_BYTES);
    this.#key = deriveKey(masterKey, masterSalt, 0, KEY_BYTES);
    this.#authKey = deriveKey(masterKey, masterSalt, 1, AUTH_KEY_BYTES);
    this.#salt = deriveKey(masterKey, masterSalt, 2, SALT_BYTES);
  }

  protect(rtp: Buffer): Buffer {
    const header = headerLength(rtp);
    const roc = this.#roc(rtp);
    const body = aesCm(this.#key, this.#iv(rtp, roc), rtp.subarray(header));
    const packet = Buffer.concat([rtp.subarray(0, header), body]);
    return Buffer.concat([packet, this.#tag(packet, roc)]);
  }

  /** The plain RTP packet, or undefined when the authentication tag does not match. */
  unprotect(srtp: Buffer): Buffer | undefined {
    if (srtp.length < 12 + TAG_BYTES) return undefined;
    const packet = srtp.subarray(0, srtp.length - TAG_BYTES);
    const roc = this.#roc(packet);
    if (!crypto.timingSafeEqual(this.#tag(packet, roc), srtp.subarray(srtp.length - TAG_BYTES))) return undefined;
    const header = headerLength(packet);
    return Buffer.concat([packet.subarray(0, header), aesCm(this.#key, this.#iv(packet, roc), packet.subarray(header))]);
  }

  #roc(packet: Buffer): number {
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const state = this.#rollover.get(ssrc);
    if (!state) {
      this.#rollover.set(ssrc, { roc: 0, lastSeq: seq });
      return 0;
    }
    if (seq < state.lastSeq && state.lastSeq - seq > 0x8000) state.roc++;
    if (seq > state.lastSeq || state.lastSeq - seq > 0x8000) state.lastSeq = seq;
    return state.roc;
  }

  /** (salt · 2^16) ⊕ (SSRC · 2^64) ⊕ (index · 2^16), index = ROC · 2^16 + SEQ. */
  #iv(packet: Buffer, roc: number): Buffer {
    const iv = Buffer.alloc(16);
    this.#salt.copy(iv, 0);
    for (let i = 0; i < 4; i++) iv[4 + i]! ^= packet[8 + i]!;
    const index = Buffer.alloc(6);
    index.writeUInt32BE(roc, 0);
    index.writeUInt16BE(packet.readUInt16BE(2), 4);
    for (let i = 0; i < 6; i++) iv[8 + i]! ^= index[i]!;
    return iv;
  }

  #tag(packet: Buffer, roc: number): Buffer {
    const rocBytes = Buffer.alloc(4);
    rocBytes.writeUInt32BE(roc);
    return crypto.createHmac('sha1', this.#authKey).update(packet).update(rocBytes).digest().subarray(0, TAG_BYTES);
  }
}
