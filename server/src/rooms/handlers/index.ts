/** The in-room methods, one handler each. join, leave and getRouterRtpCapabilities live in the session. */
import type { MethodName, RequestData, ResponseData } from '../../../../protocol/src';
import type { Handler, HandlerContext } from './context';
import { answeringMediasoupErrors } from './mediasoup-errors';
import { connectTransport, createTransport, restartIce } from './transports';
import { closeProducer, pauseProducer, produce, resumeProducer } from './producers';
import { pauseConsumer, requestKeyFrame, resumeConsumer, setConsumerPriority, setPreferredLayers } from './consumers';
import { closeDataProducer, getStats, produceData } from './data';

type RoomMethod = Exclude<MethodName, 'join' | 'leave' | 'getRouterRtpCapabilities'>;

const roomHandlers: { [M in RoomMethod]: Handler<M> } = {
  createTransport,
  connectTransport,
  restartIce,
  produce,
  closeProducer,
  pauseProducer,
  resumeProducer,
  pauseConsumer,
  resumeConsumer,
  setPreferredLayers,
  setConsumerPriority,
  requestKeyFrame,
  produceData,
  closeDataProducer,
  getStats,
};

export function isRoomMethod(method: MethodName): method is RoomMethod {
  return Object.prototype.hasOwnProperty.call(roomHandlers, method);
}

/** Runs the method's handler; a mediasoup error it meets becomes this request's protocol error. */
export function runRoomMethod<M extends MethodName>(method: M & RoomMethod, ctx: HandlerContext, data: RequestData<M>): Promise<ResponseData<M>> {
  const handler = roomHandlers[method] as unknown as Handler<M>;
  return answeringMediasoupErrors(() => handler(ctx, data));
}
