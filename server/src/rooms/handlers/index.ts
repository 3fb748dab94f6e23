/** The in-room methods, one handler each. join, leave and getRouterRtpCapabilities live in the session. */
import type { MethodName } from '../../../../protocol/src';
import type { Handler } from './context';
import { connectTransport, createTransport, restartIce } from './transports';
import { closeProducer, pauseProducer, produce, resumeProducer } from './producers';
import { pauseConsumer, requestKeyFrame, resumeConsumer, setConsumerPriority, setPreferredLayers } from './consumers';
import { closeDataProducer, getStats, produceData } from './data';

type RoomMethod = Exclude<MethodName, 'join' | 'leave' | 'getRouterRtpCapabilities'>;

export const roomHandlers: { [M in RoomMethod]: Handler<M> } = {
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
