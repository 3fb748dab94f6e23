/**
 * fast-check arbitraries for whole WebSocket frames aimed at /ws: requests of every method with
 * plausible or mutated data, random JSON, truncated requests, deep nesting, prototype-polluting keys,
 * binary frames, oversized frames and frames that must make the server close the socket.
 *
 * A frame's id is usually `$autoId`: the fuzzing socket gives it a unique 8-digit id when it sends, so
 * the answer can be matched to the frame (and checked against what that frame must be answered with).
 */
import fc from 'fast-check';
import type { ErrorCode } from '../../../protocol/src';
import {
  applyMutation,
  METHODS,
  methodArbitrary,
  mutation,
  OMIT,
  plausibleData,
  pollutingKey,
  pollutingValue,
  PROTO_KEY,
  rawLiteral,
  weirdValue,
} from './fuzz-requests';

export const AUTO_ID = '$autoId';
/** The auto id inside hand-written JSON text (the socket replaces the quoted form). */
const AUTO_ID_TEXT = `"${AUTO_ID}"`;

export type FuzzFrame =
  | {
      kind: 'text';
      category: string;
      text: string;
      /** The method, when the frame is a well-formed request (for the per-method tally). */
      method?: string;
      /** Codes an error answer may carry; undefined: any code but `internal`. */
      expect?: ErrorCode[];
    }
  | { kind: 'binary'; category: string; bytes: Uint8Array }
  /** Frames after which the server closes the socket with `closeCode`. */
  | { kind: 'closing'; category: string; payload: Buffer | string; binary: boolean; closeCode: number };

/** Turns the placeholders a JS value can't hold into their JSON text. */
export function encode(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll(`"${PROTO_KEY}"`, '"__proto__"')
    .replace(/"\$raw:([^"]*)"/g, '$1');
}

const envelopeId = fc.oneof(
  { weight: 12, arbitrary: fc.constant(AUTO_ID) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(OMIT, null, true, '1', '', [], {}, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -(2 ** 53), 1e308),
  },
  { weight: 1, arbitrary: fc.constantFrom('1e999', '-1e999', '9007199254740993', '-0', '1.0', '1e-400', '00012', '0.5e1').map(rawLiteral) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.string({ maxLength: 20 }),
      fc.bigInt().map((n) => rawLiteral(n.toString())),
    ),
  },
);

const methodName = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom(...METHODS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '',
      'JOIN',
      'join ',
      'getStats\u0000',
      'x'.repeat(64),
      'x'.repeat(65),
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 70 }), weirdValue) },
);

function envelope(id: unknown, method: unknown, data: unknown, extra?: [string, unknown]): string {
  const message: Record<string, unknown> = {};
  if (id !== OMIT) message.id = id;
  message.method = method;
  if (data !== OMIT) message.data = data;
  if (extra) message[extra[0]] = extra[1];
  return encode(message);
}

/** A request of a real method with plausible data, mutated or not. */
export const requestFrame = (mutationRate: number): fc.Arbitrary<FuzzFrame> =>
  methodArbitrary
    .chain((method) =>
      fc.record({
        method: fc.constant(method),
        data: plausibleData[method],
        mutation:
          mutationRate > 0
            ? fc.oneof(
                { weight: Math.round(mutationRate * 100), arbitrary: mutation },
                { weight: Math.round((1 - mutationRate) * 100), arbitrary: fc.constant(undefined) },
              )
            : fc.constant(undefined),
        omitData: fc.boolean().map((b) => b && (method === 'leave' || method === 'getRouterRtpCapabilities')),
      }),
    )
    .map(({ method, data, mutation: m, omitData }) => ({
      kind: 'text' as const,
      category: m ? 'mutated-request' : 'request',
      method,
      text: envelope(AUTO_ID, method, omitData ? OMIT : applyMutation(data, m)),
    }));

/** The envelope itself broken: odd ids, odd method names, odd data, extra keys. */
const envelopeFrame: fc.Arbitrary<FuzzFrame> = fc
  .record({
    id: envelopeId,
    method: methodName,
    data: fc.oneof({ weight: 3, arbitrary: fc.constant(OMIT) }, { weight: 3, arbitrary: weirdValue }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) }),
    extra: fc.option(fc.tuple(fc.oneof(pollutingKey, fc.string({ maxLength: 10 })), fc.oneof(pollutingValue, weirdValue)), { nil: undefined }),
  })
  .map(({ id, method, data, extra }) => ({ kind: 'text', category: 'envelope', text: envelope(id, method, data, extra) }));

const randomJsonFrame: fc.Arbitrary<FuzzFrame> = fc
  .oneof(fc.json({ maxDepth: 5 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '0', 'true', '\uFEFF{}'))
  .map((text) => ({ kind: 'text', category: 'random-json', text }));

/** A request's JSON text cut short: never valid JSON, so always `invalid_message`, under the sniffed id. */
const truncatedFrame: fc.Arbitrary<FuzzFrame> = fc
  .tuple(requestFrame(0.3), fc.double({ min: 0, max: 1, noNaN: true }))
  .filter(([frame]) => frame.kind === 'text' && frame.text.length > 1)
  .map(([frame, cut]) => {
    const text = (frame as { text: string }).text;
    return { kind: 'text', category: 'truncated', text: text.slice(0, Math.floor(cut * (text.length - 1))), expect: ['invalid_message'] };
  });

/** Thousands of levels of arrays or objects, at the top, in the data, or where a codec's parameters go. */
const deepFrame: fc.Arbitrary<FuzzFrame> = fc
  .record({
    depth: fc.integer({ min: 1000, max: 30_000 }),
    shape: fc.constantFrom('array', 'object', 'proto'),
    where: fc.constantFrom('top', 'data', 'parameters', 'id', 'unclosed'),
    method: fc.constantFrom(...METHODS),
  })
  .map(({ depth, shape, where, method }) => {
    const levels = shape === 'array' ? depth : Math.min(depth, 9000);
    const open = shape === 'array' ? '[' : shape === 'object' ? '{"a":' : '{"__proto__":';
    const close = shape === 'array' ? ']' : '}';
    const nest = open.repeat(levels) + (shape === 'array' ? '' : '1') + (where === 'unclosed' ? '' : close.repeat(levels));
    const id = `"id":${AUTO_ID_TEXT}`;
    const text =
      where === 'top'
        ? nest
        : where === 'id'
          ? `{"id":${nest},"method":"${method}"}`
          : where === 'parameters'
            ? `{${id},"method":"produce","data":{"transportId":"t","kind":"audio","source":"mic","rtpParameters":{"codecs":[{"mimeType":"audio/opus","payloadType":100,"clockRate":48000,"parameters":${nest}}]}}}`
            : `{${id},"method":"${method}","data":${nest}}`;
    return { kind: 'text', category: 'deep-nesting', text };
  });
/** `__proto__`, `constructor` and `prototype` keys where a careless merge would pollute Object.prototype. */
const pollutionFrame: fc.Arbitrary<FuzzFrame> = fc
  .tuple(requestFrame(0), fc.array(fc.tuple(fc.nat(), pollutingKey, pollutingValue), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([frame, injections, atTop]) => {
    const message = JSON.parse((frame as { text: string }).text) as Record<string, unknown>;
    let data = message.data;
    for (const [pick, key, value] of injections) data = applyMutation(data, { op: 'extra', pick, key, value });
    if (atTop) message[PROTO_KEY] = { id: 1, method: 'join', data: { polluted: 'yes' } };
    return { kind: 'text', category: 'prototype-pollution', method: (frame as { method?: string }).method, text: encode({ ...message, data }) };
  });

const binaryFrame: fc.Arbitrary<FuzzFrame> = fc
  .oneof(
    fc.uint8Array({ maxLength: 512 }),
    requestFrame(0).map((f) => new TextEncoder().encode((f as { text: string }).text.replace(`"${AUTO_ID}"`, '1'))),
  )
  .map((bytes) => ({ kind: 'binary', category: 'binary', bytes }));

/** Over MAX_MESSAGE_BYTES but under the hard limit: answered `message_too_large`, socket kept. */
export const oversizedFrame = (maxBytes: number): fc.Arbitrary<FuzzFrame> =>
  fc.tuple(fc.integer({ min: maxBytes + 1, max: maxBytes * 3 }), fc.constantFrom(...METHODS)).map(([size, method]) => {
    const head = `{"id":"${AUTO_ID}","method":"${method}","data":{"pad":"`;
    return { kind: 'text', category: 'oversized', text: head + 'x'.repeat(size - head.length) + '"}}', expect: ['message_too_large'] };
  });

/** Frames the server answers by closing the socket: over the hard size limit, or text that is not UTF-8. */
export const closingFrame = (hardLimit: number): fc.Arbitrary<FuzzFrame> =>
  fc.oneof(
    fc.integer({ min: hardLimit + 1, max: hardLimit + 4096 }).map((size) => ({
      kind: 'closing' as const,
      category: 'over-hard-limit',
      payload: 'x'.repeat(size),
      binary: false,
      closeCode: 1009,
    })),
    fc.constantFrom([0xc3, 0x28], [0xff, 0xfe, 0xfd], [0xed, 0xa0, 0x80], [0x7b, 0x22, 0xf0, 0x28, 0x8c, 0x28]).map((bytes) => ({
      kind: 'closing' as const,
      category: 'invalid-utf8',
      payload: Buffer.from(bytes),
      binary: false,
      closeCode: 1007,
    })),
  );

export interface FrameMix {
  maxMessageBytes: number;
  /** Share of well-formed requests of real methods (the rest is broken on purpose). */
  requestShare: number;
  /** Share of those requests whose data is mutated. */
  mutationRate: number;
  /** Frames that make the server close the socket, per 1000. */
  closingPerMille: number;
}

export function frameArbitrary(mix: FrameMix): fc.Arbitrary<FuzzFrame> {
  const broken = 100 - Math.round(mix.requestShare * 100);
  const hardLimit = Math.max(mix.maxMessageBytes * 4, 1 << 20);
  return fc.oneof(
    { weight: Math.round(mix.requestShare * 1000), arbitrary: requestFrame(mix.mutationRate) },
    { weight: broken * 2, arbitrary: envelopeFrame },
    { weight: broken * 1, arbitrary: randomJsonFrame },
    { weight: broken * 2, arbitrary: truncatedFrame },
    { weight: broken * 1, arbitrary: deepFrame },
    { weight: broken * 2, arbitrary: pollutionFrame },
    { weight: broken * 1, arbitrary: binaryFrame },
    { weight: Math.max(1, Math.round(broken / 3)), arbitrary: oversizedFrame(mix.maxMessageBytes) },
    { weight: mix.closingPerMille, arbitrary: closingFrame(hardLimit) },
  );
}
