/**
 * How a failed mediasoup call is answered. Applied once, around every in-room handler (see index.ts):
 * handlers call mediasoup directly, and only the request that failed is answered with the error.
 */
import { ProtocolError } from '../../../../protocol/src';

/**
 * mediasoup rejects bad parameters with TypeError/UnsupportedError (the client's fault), and operations
 * on an object that closed meanwhile (its producer went away) with InvalidStateError/NotFoundError.
 * A plain Error is the worker refusing the request as such — an SSRC or MID already used on the
 * transport, connect() called twice, a request too big: also the client's doing, so `bad_request` too
 * (found by the fuzz test, which got `internal` for these). ProtocolErrors (the handlers' own refusals)
 * pass unchanged; anything else stays a failure of the server (`internal`, logged by the edge).
 */
export async function answeringMediasoupErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    const { name, message } = error as Error;
    const workerRefusal = error instanceof Error && error.constructor === Error;
    if (name === 'TypeError' || name === 'UnsupportedError' || workerRefusal) throw new ProtocolError('bad_request', message);
    if (name === 'InvalidStateError' || name === 'NotFoundError') throw new ProtocolError('not_found', `already closed: ${message}`);
    throw error;
  }
}
