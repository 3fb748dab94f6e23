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
 * pass unchanged. A TypeError or Error thrown by our own code is a bug, not a bad request: only errors
 * raised inside mediasoup's package are translated; anything else stays a failure of the server
 * (`internal`, logged by the edge).
 */
export async function answeringMediasoupErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ProtocolError || !(error instanceof Error)) throw error;
    const { name, message } = error;
    if (name === 'InvalidStateError' || name === 'NotFoundError') throw new ProtocolError('not_found', `already closed: ${message}`);
    if (name === 'UnsupportedError' || ((name === 'TypeError' || error.constructor === Error) && raisedByMediasoup(error))) {
      throw new ProtocolError('bad_request', message);
    }
    throw error;
  }
}

/** The error's innermost stack frame lies in mediasoup's package (its validation, its channel to the worker). */
function raisedByMediasoup(error: Error): boolean {
  const frame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  return frame !== undefined && /[\\/]node_modules[\\/]mediasoup[\\/]/.test(frame);
}
