/**
 * How a handler's failure is answered: what a real mediasoup worker refuses is the client's doing
 * (bad_request / not_found), while an error raised by our own code is a bug and stays a server failure
 * (not a ProtocolError: the edge answers `internal` and logs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { ProtocolError } from '../../protocol/src';
import { answeringMediasoupErrors } from '../src/rooms/handlers/mediasoup-errors';
import { MEDIA_CODECS } from '../src/media/codecs';

let worker: types.Worker;
let router: types.Router;

beforeAll(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'none' });
  router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
});

afterAll(() => worker?.close());

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  const error = await answeringMediasoupErrors(call).then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof ProtocolError ? error.code : `not a ProtocolError: ${(error as Error).name}`;
}

describe('answering mediasoup errors', () => {
  it('answers bad_request for parameters mediasoup rejects, and for the worker refusing a request', async () => {
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' } });
    expect(await codeOf(() => transport.produce({ kind: 'video', rtpParameters: {} as never }))).toBe('bad_request');
    await transport.connect({ ip: '127.0.0.1', port: 9 });
    // A second connect() is refused by the worker itself (a plain Error from its channel).
    expect(await codeOf(() => transport.connect({ ip: '127.0.0.1', port: 9 }))).toBe('bad_request');
    transport.close();
    expect(await codeOf(() => transport.getStats())).toBe('not_found');
  });

  it('lets an error of our own code through as a server failure', async () => {
    const bug = (): Promise<never> => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(await codeOf(bug)).toBe('not a ProtocolError: TypeError');
    expect(await codeOf(() => Promise.reject(new Error('an invariant broke')))).toBe('not a ProtocolError: Error');
    expect(await codeOf(() => Promise.reject(new ProtocolError('forbidden', 'not yours')))).toBe('forbidden');
  });
});
