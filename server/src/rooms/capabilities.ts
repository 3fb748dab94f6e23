/**
 * A joining peer's rtpCapabilities, checked the way mediasoup will read them. The protocol schema only
 * bounds their shape; without this a peer could join with capabilities mediasoup's ORTC code rejects,
 * and every later fan-out to it would fail inside router.canConsume — logged by mediasoup at error level,
 * once per producer, for as long as the peer stays (found by the fuzz test).
 */
import { ortc, type types } from 'mediasoup';
import { ProtocolError } from '../../../protocol/src';

/** The capabilities normalised by mediasoup (a copy), or `bad_request` naming what it refused. */
export function checkedRtpCapabilities(caps: unknown): types.RtpCapabilities {
  const copy = structuredClone(caps) as types.RtpCapabilities;
  try {
    ortc.validateAndNormalizeRtpCapabilities(copy);
  } catch (error) {
    throw new ProtocolError('bad_request', `join: /rtpCapabilities: ${(error as Error).message}`);
  }
  return copy;
}
