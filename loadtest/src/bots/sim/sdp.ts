/**
 * SDP for libdatachannel, written from what the server gives. The bot is always the offerer (its
 * libdatachannel makes the offer, one m-line per track); the answer stands for the mediasoup transport:
 * ICE-lite with the transport's ICE credentials and candidates, its DTLS fingerprint, and DTLS role
 * "passive" — the bot connects as DTLS client and tells the server so in connectTransport.
 *
 * What the answer's m-lines carry is for libdatachannel alone (mediasoup never sees SDP): the payload
 * type, and on the receive side the SSRCs it must route to each track (libdatachannel delivers RTP and
 * RTCP by SSRC; an SSRC that no description names is dropped).
 */
import type { TransportInfo } from '../../../../protocol/src';

export interface RemoteCodec {
  payloadType: number;
  /** As in a=rtpmap: "opus", "VP8". */
  name: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
  rtcpFeedback: string[];
}

export interface AnswerSection {
  mid: string;
  kind: 'audio' | 'video';
  /** The server's side: 'recvonly' for our producers, 'sendonly' for consumers, 'inactive' once closed. */
  direction: 'recvonly' | 'sendonly' | 'inactive';
  codec: RemoteCodec;
  /** SSRCs the server sends on this m-line (consumers), with their CNAME. */
  ssrcs?: { ssrc: number; cname: string }[];
}

export interface ServerTransport {
  iceParameters: NonNullable<TransportInfo['iceParameters']>;
  iceCandidates: NonNullable<TransportInfo['iceCandidates']>;
  dtlsParameters: NonNullable<TransportInfo['dtlsParameters']>;
}

/** Checks that a createTransport answer is a WebRTC transport the bot can reach; a clear error if not. */
export function serverTransport(info: TransportInfo): ServerTransport {
  const { iceParameters, iceCandidates, dtlsParameters } = info;
  if (!iceParameters || !iceCandidates || !dtlsParameters) {
    throw new Error(`transport ${info.transportId} has no ICE/DTLS parameters (not a WebRTC transport?)`);
  }
  if (!iceCandidates.some((c) => c.protocol === 'udp')) throw new Error(`transport ${info.transportId} offers no UDP candidate`);
  if (!dtlsParameters.fingerprints.some((f) => f.algorithm === 'sha-256')) {
    throw new Error(`transport ${info.transportId} has no sha-256 DTLS fingerprint`);
  }
  return { iceParameters, iceCandidates, dtlsParameters };
}

export function answerSdp(transport: ServerTransport, sections: readonly AnswerSection[]): string {
  const fingerprint = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256')!;
  const lines = [
    'v=0',
    'o=confero-sfu 1 1 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=fingerprint:sha-256 ${fingerprint.value}`,
    'a=msid-semantic: WMS *',
    `a=group:BUNDLE ${sections.map((s) => s.mid).join(' ')}`,
  ];
  for (const section of sections) lines.push(...mediaSection(transport, section));
  return `${lines.join('\r\n')}\r\n`;
}

function mediaSection(transport: ServerTransport, section: AnswerSection): string[] {
  const { codec } = section;
  const pt = codec.payloadType;
  const lines = [
    `m=${section.kind} 7 UDP/TLS/RTP/SAVPF ${pt}`,
    'c=IN IP4 127.0.0.1',
    `a=mid:${section.mid}`,
    `a=${section.direction}`,
    `a=ice-ufrag:${transport.iceParameters.usernameFragment}`,
    `a=ice-pwd:${transport.iceParameters.password}`,
  ];
  for (const c of transport.iceCandidates) {
    // libdatachannel is built for UDP here; a TCP candidate would only be a pair that never works.
    if (c.protocol !== 'udp') continue;
    lines.push(`a=candidate:${c.foundation} 1 udp ${c.priority} ${c.address ?? c.ip} ${c.port} typ ${c.type}`);
  }
  lines.push('a=end-of-candidates', 'a=setup:passive', 'a=rtcp-mux', 'a=rtcp-rsize');
  lines.push(`a=rtpmap:${pt} ${codec.name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`);
  if (codec.fmtp) lines.push(`a=fmtp:${pt} ${codec.fmtp}`);
  for (const fb of codec.rtcpFeedback) lines.push(`a=rtcp-fb:${pt} ${fb}`);
  if (section.direction !== 'inactive') {
    for (const { ssrc, cname } of section.ssrcs ?? []) lines.push(`a=ssrc:${ssrc} cname:${cname}`);
  }
  return lines;
}

/** Our DTLS certificate's sha-256 fingerprint, from the local offer libdatachannel made. */
export function localFingerprint(offer: string): { algorithm: 'sha-256'; value: string } {
  const match = /^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)\s*$/m.exec(offer);
  if (!match) throw new Error('the local description has no sha-256 fingerprint');
  return { algorithm: 'sha-256', value: match[1]!.toUpperCase() };
}

/** The mids of the local offer, in order: the answer must list the same m-lines in the same order. */
export function offerMids(offer: string): string[] {
  return [...offer.matchAll(/^a=mid:(\S+)\s*$/gm)].map((m) => m[1]!);
}
