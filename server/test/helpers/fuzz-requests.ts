/**
 * fast-check arbitraries for the data of every request method: plausible values (what a client could
 * really send, so the handlers and mediasoup get exercised past the schema check), then mutated —
 * a field dropped, replaced by a wrong-typed or extreme value, an extra or prototype key added.
 *
 * Ids of objects are not known when the data is generated: they are tokens (`$ref:<pool>:<n>`) that the
 * fuzzing socket replaces when it sends, with the n-th id of that pool (its own transports, producers…,
 * or the media peers' ids it must never be able to touch).
 */
import fc from 'fast-check';
import { RequestSchemas, type MethodName } from '../../../protocol/src';

export const METHODS = Object.keys(RequestSchemas) as MethodName[];

/** How often each method is picked for a request: what builds state (transports, producers) more often than leave. */
const METHOD_WEIGHTS: Partial<Record<MethodName, number>> = {
  join: 6,
  leave: 1,
  getRouterRtpCapabilities: 1,
  createTransport: 8,
  connectTransport: 6,
  produce: 12,
  produceData: 4,
};
export const methodArbitrary: fc.Arbitrary<MethodName> = fc.oneof(
  ...METHODS.map((method) => ({ weight: METHOD_WEIGHTS[method] ?? 3, arbitrary: fc.constant(method) })),
);

export type RefPool = 'transport' | 'producer' | 'consumer' | 'dataProducer' | 'foreign' | 'routerCaps' | 'sinkPort' | 'room';
export const refToken = (pool: RefPool, n: number): string => `$ref:${pool}:${n}`;
const ref = (pool: RefPool): fc.Arbitrary<string> => fc.nat(10_000).map((n) => refToken(pool, n));

/** Placeholders turned into raw JSON text after JSON.stringify: what a JS value cannot express. */
export const PROTO_KEY = '$proto$';
export const rawLiteral = (text: string): string => `$raw:${text}`;
export const OMIT = '$omit$';

const RAW_NUMBERS = ['1e999', '-1e999', '9007199254740993', '123456789012345678901234567890', '1e-400', '-0', '1.0', '1E2', '0.1e1'];

/** Values no field expects: wrong types, extremes, NaN-like strings, odd unicode, huge strings. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, -1e308, Number.MAX_SAFE_INTEGER),
  fc.constantFrom(
    '',
    'NaN',
    'Infinity',
    '-Infinity',
    'null',
    'undefined',
    'true',
    '0x10',
    '1e999',
    '-1',
    ' 1',
    '\u0000',
    '\ud800',
    '\uffff',
    '‮rtl',
    '🙂'.repeat(40),
  ),
  fc.constantFrom(...RAW_NUMBERS).map(rawLiteral),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 1000, max: 40_000 }).map((n) => 'x'.repeat(n)),
  fc.double(),
  fc.integer(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constantFrom(PROTO_KEY, 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
);

/** What a prototype-polluting key carries: it would show on every object if anything merged it. */
export const pollutingValue = fc.constantFrom<unknown>(
  { polluted: 'yes' },
  { prototype: { polluted: 'yes' } },
  { isAdmin: true, polluted: 'yes', toString: 'not a function' },
  { id: 1, method: 'join', polluted: 'yes' },
);
export const pollutingKey = fc.constantFrom(PROTO_KEY, 'constructor', 'prototype', '__defineGetter__', 'valueOf');

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 2 });

const id = (pool: RefPool): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: ref(pool) },
    { weight: 2, arbitrary: ref('foreign') },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 64 }) },
  );

const parameters = fc.dictionary(
  fc.constantFrom(
    'apt',
    'packetization-mode',
    'profile-level-id',
    'level-asymmetry-allowed',
    'profile-id',
    'useinbandfec',
    'usedtx',
    'x-google-start-bitrate',
    'minptime',
    'sprop-stereo',
  ),
  fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constantFrom('42e01f', '4d001f', 96, 101)),
  { maxKeys: 4 },
);
const rtcpFeedback = fc.array(
  fc.record({ type: fc.constantFrom('nack', 'ccm', 'goog-remb', 'transport-cc', 'bogus'), parameter: opt(fc.constantFrom('pli', 'fir', '')) }),
  { maxLength: 4 },
);
const mimeType = fc.constantFrom(
  'audio/opus',
  'video/VP8',
  'video/VP9',
  'video/H264',
  'video/AV1',
  'video/rtx',
  'audio/PCMU',
  'audio/telephone-event',
  'audio/OPUS',
  'video/nonexistent',
  'opus',
  '',
);
const clockRate = fc.constantFrom(48000, 90000, 8000, 1, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER);
const ssrc = fc.oneof(fc.constantFrom(0, 1, 2, 0x51510001, 0x51510002, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const headerExtensionUri = fc.constantFrom(
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'urn:3gpp:video-orientation',
  'urn:bogus',
);

const rtpParameters = fc.record({
  mid: opt(fc.constantFrom('0', '1', 'a', 'x'.repeat(32))),
  codecs: fc.array(
    fc.record({
      mimeType,
      payloadType: fc.integer({ min: 0, max: 127 }),
      clockRate,
      channels: opt(fc.integer({ min: 1, max: 16 })),
      parameters: opt(parameters),
      rtcpFeedback: opt(rtcpFeedback),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  headerExtensions: opt(fc.array(fc.record({ uri: headerExtensionUri, id: fc.integer({ min: 1, max: 255 }), encrypt: opt(fc.boolean()) }), { maxLength: 4 })),
  encodings: opt(
    fc.array(
      fc.record({
        ssrc: opt(ssrc),
        rid: opt(fc.constantFrom('l', 'm', 'h', 'r0')),
        codecPayloadType: opt(fc.integer({ min: 0, max: 127 })),
        rtx: opt(fc.record({ ssrc })),
        dtx: opt(fc.boolean()),
        scalabilityMode: opt(fc.constantFrom('L1T3', 'S3T3', 'L3T3_KEY', 'bogus')),
        scaleResolutionDownBy: opt(fc.constantFrom(1, 2, 4, 1e300)),
        maxBitrate: opt(fc.constantFrom(0, 100_000, Number.MAX_SAFE_INTEGER)),
        maxFramerate: opt(fc.constantFrom(0, 30, 1e300)),
        active: opt(fc.boolean()),
      }),
      { maxLength: 4 },
    ),
  ),
  rtcp: opt(fc.record({ cname: opt(fc.string({ maxLength: 40 })), reducedSize: opt(fc.boolean()), mux: opt(fc.boolean()) })),
});

/** Parameters mediasoup accepts (so produce succeeds and the fan-out runs), with a random SSRC. */
const acceptedMedia = fc.oneof(
  fc.record({
    kind: fc.constant('audio'),
    source: fc.constantFrom('mic', 'screen-audio'),
    rtpParameters: fc.record({
      codecs: fc.constant([{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }]),
      encodings: fc.tuple(ssrc).map(([s]) => [{ ssrc: s }]),
      headerExtensions: fc.constant([{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 1 }]),
    }),
  }),
  fc.record({
    kind: fc.constant('video'),
    source: fc.constantFrom('webcam', 'screen'),
    rtpParameters: fc.record({
      codecs: fc.constant([
        { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] },
        { mimeType: 'video/rtx', payloadType: 102, clockRate: 90000, parameters: { apt: 101 } },
      ]),
      encodings: fc.oneof(
        fc.tuple(ssrc, ssrc).map(([s, r]) => [{ ssrc: s, rtx: { ssrc: r } }]),
        fc.constant([{ rid: 'l', scaleResolutionDownBy: 4 }, { rid: 'm', scaleResolutionDownBy: 2 }, { rid: 'h' }]),
        fc.tuple(ssrc, ssrc, ssrc).map((ssrcs) => ssrcs.map((s) => ({ ssrc: s, scalabilityMode: 'L1T3' }))),
      ),
      mid: opt(fc.constantFrom('0', '1', '2')),
      headerExtensions: fc.constant([
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 },
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', id: 2 },
      ]),
    }),
  }),
);

const rtpCapabilities = fc.oneof(
  { weight: 6, arbitrary: ref('routerCaps') },
  { weight: 1, arbitrary: fc.constant({}) },
  {
    weight: 2,
    arbitrary: fc.record({
      codecs: opt(
        fc.array(
          fc.record({
            kind: fc.constantFrom('audio', 'video'),
            mimeType,
            preferredPayloadType: opt(fc.integer({ min: 0, max: 127 })),
            clockRate,
            channels: opt(fc.integer({ min: 1, max: 16 })),
            parameters: opt(parameters),
            rtcpFeedback: opt(rtcpFeedback),
          }),
          { maxLength: 4 },
        ),
      ),
      headerExtensions: opt(
        fc.array(fc.record({ kind: fc.constantFrom('audio', 'video'), uri: headerExtensionUri, preferredId: fc.integer({ min: 1, max: 255 }) }), {
          maxLength: 3,
        }),
      ),
    }),
  },
);

const roomName = fc.oneof(
  { weight: 4, arbitrary: ref('room') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom('../etc', 'a/b', '', ' ', '__proto__', 'constructor', 'x'.repeat(65)) },
);

const dtlsParameters = fc.record({
  role: opt(fc.constantFrom('auto', 'client', 'server')),
  fingerprints: fc.array(
    fc.record({
      algorithm: fc.constantFrom('sha-256', 'sha-1', 'sha-512', 'md5', 'bogus'),
      value: fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF:'), maxLength: 95 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

/** Valid IPs always go to the test's sink port: fuzzed RTP must never reach someone else's socket. */
const plainRemote = fc.oneof(
  fc.record({ ip: fc.constant('127.0.0.1'), port: ref('sinkPort') }),
  fc.record({ ip: fc.constantFrom('not-an-ip', '999.1.1.1', '', '::ffff:zz', 'localhost'), port: fc.integer({ min: 1, max: 65535 }) }),
  fc.record({ ip: opt(fc.constant('127.0.0.1')) }),
  fc.record({ port: opt(ref('sinkPort')) }),
);

export const plausibleData: { [M in MethodName]: fc.Arbitrary<unknown> } = {
  getRouterRtpCapabilities: fc.constant({}),
  join: fc.record({
    protocolVersion: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer() }),
    room: roomName,
    displayName: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
    rtpCapabilities,
    token: opt(fc.string({ maxLength: 100 })),
  }),
  leave: fc.constant({}),
  createTransport: fc.record({
    direction: fc.constantFrom('send', 'recv'),
    type: opt(fc.constantFrom('webrtc', 'plain')),
    enableSctp: opt(fc.boolean()),
    forceTcp: opt(fc.boolean()),
  }),
  connectTransport: fc.oneof(
    fc.tuple(id('transport'), plainRemote).map(([transportId, remote]) => ({ transportId, ...remote })),
    fc.record({ transportId: id('transport'), dtlsParameters }),
  ),
  restartIce: fc.record({ transportId: id('transport') }),
  produce: fc.oneof(
    fc.tuple(id('transport'), acceptedMedia, opt(fc.boolean())).map(([transportId, media, paused]) => ({ transportId, ...media, paused })),
    fc.record({
      transportId: id('transport'),
      kind: fc.constantFrom('audio', 'video'),
      rtpParameters,
      source: fc.constantFrom('mic', 'webcam', 'screen', 'screen-audio'),
      paused: opt(fc.boolean()),
    }),
  ),
  closeProducer: fc.record({ producerId: id('producer') }),
  pauseProducer: fc.record({ producerId: id('producer') }),
  resumeProducer: fc.record({ producerId: id('producer') }),
  pauseConsumer: fc.record({ consumerId: id('consumer') }),
  resumeConsumer: fc.record({ consumerId: id('consumer') }),
  setPreferredLayers: fc.record({
    consumerId: id('consumer'),
    spatialLayer: fc.integer({ min: 0, max: 15 }),
    temporalLayer: opt(fc.integer({ min: 0, max: 15 })),
  }),
  setConsumerPriority: fc.record({ consumerId: id('consumer'), priority: fc.integer({ min: 1, max: 255 }) }),
  requestKeyFrame: fc.record({ consumerId: id('consumer') }),
  produceData: fc.record({
    transportId: id('transport'),
    sctpStreamParameters: fc.record({
      streamId: opt(fc.integer({ min: 0, max: 65534 })),
      ordered: opt(fc.boolean()),
      maxPacketLifeTime: opt(fc.constantFrom(0, 100, 2 ** 31, Number.MAX_SAFE_INTEGER)),
      maxRetransmits: opt(fc.constantFrom(0, 3, 2 ** 31, Number.MAX_SAFE_INTEGER)),
    }),
    label: opt(fc.string({ maxLength: 64 })),
    protocol: opt(fc.string({ maxLength: 64 })),
  }),
  closeDataProducer: fc.record({ dataProducerId: id('dataProducer') }),
  getStats: fc.record({ id: fc.oneof(id('transport'), id('producer'), id('consumer'), id('dataProducer')) }),
};

/** One change to a value: which node (index into its nodes), and what happens to it. */
export type Mutation =
  | { op: 'drop'; pick: number }
  | { op: 'replace'; pick: number; value: unknown }
  | { op: 'extra'; pick: number; key: string; value: unknown }
  | { op: 'whole'; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: weirdValue }),
  fc.record({
    op: fc.constant('extra' as const),
    pick: fc.nat(),
    key: fc.oneof(pollutingKey, fc.string({ maxLength: 10 })),
    value: fc.oneof(pollutingValue, weirdValue),
  }),
  fc.record({ op: fc.constant('whole' as const), value: weirdValue }),
);

type Container = Record<string, unknown> | unknown[];
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** Every (container, key) slot in the value, depth first. */
function slots(value: unknown, into: [Container, string | number][] = []): [Container, string | number][] {
  if (!isContainer(value)) return into;
  for (const key of Object.keys(value)) {
    const k = Array.isArray(value) ? Number(key) : key;
    into.push([value, k]);
    slots((value as Record<string, unknown>)[key], into);
  }
  return into;
}

/** The mutated copy (the input is left alone). */
export function applyMutation(data: unknown, m: Mutation | undefined): unknown {
  if (!m) return data;
  if (m.op === 'whole') return m.value;
  const copy = structuredClone(data);
  if (m.op === 'extra') {
    const containers = [copy, ...slots(copy).map(([c, k]) => (c as Record<string, unknown>)[k])].filter(
      (c): c is Record<string, unknown> => isContainer(c) && !Array.isArray(c),
    );
    const target = containers[m.pick % Math.max(containers.length, 1)];
    if (target) target[m.key] = m.value;
    return copy;
  }
  const all = slots(copy);
  if (all.length === 0) return m.op === 'replace' ? m.value : copy;
  const [container, key] = all[m.pick % all.length]!;
  if (m.op === 'drop') {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key as string];
  } else {
    (container as Record<string | number, unknown>)[key] = m.value;
  }
  return copy;
}
