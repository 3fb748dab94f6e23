/** produceData, closeDataProducer (chat over DataChannels), and getStats. */
import { ProtocolError } from '../../../../protocol/src';
import type { types } from 'mediasoup';
import { empty, own, refuse, type Handler } from './context';

const MAX_DATA_PRODUCERS_PER_PEER = 4;

export const produceData: Handler<'produceData'> = async (ctx, data) => {
  const { peer, room } = ctx;
  const transport = own(ctx, peer.transports, data.transportId, 'transport');
  if (transport.appData.direction !== 'send' || !transport.appData.sctp) {
    throw new ProtocolError('bad_request', 'produceData needs a send transport created with enableSctp');
  }
  if (peer.dataProducers.size >= MAX_DATA_PRODUCERS_PER_PEER) {
    throw new ProtocolError('limit_exceeded', `at most ${MAX_DATA_PRODUCERS_PER_PEER} data producers per peer`);
  }
  const dataProducer = await transport.produceData({
    sctpStreamParameters: data.sctpStreamParameters as types.SctpStreamParameters,
    label: data.label ?? '',
    protocol: data.protocol ?? '',
    appData: { peerId: peer.id },
  });
  if (peer.closed) {
    dataProducer.close();
    throw new ProtocolError('not_joined', 'left the room meanwhile');
  }
  peer.dataProducers.set(dataProducer.id, dataProducer);
  dataProducer.on('transportclose', () => peer.dataProducers.delete(dataProducer.id));
  queueMicrotask(() => void room.fanOutDataProducer(peer, dataProducer));
  return { dataProducerId: dataProducer.id };
};

export const closeDataProducer: Handler<'closeDataProducer'> = async (ctx, data) => {
  const dataProducer = own(ctx, ctx.peer.dataProducers, data.dataProducerId, 'data producer');
  ctx.peer.dataProducers.delete(dataProducer.id);
  dataProducer.close();
  return empty;
};

/** Stats of any object the peer owns: transport, producer, consumer, data producer or data consumer. */
export const getStats: Handler<'getStats'> = async (ctx, data) => {
  const { peer } = ctx;
  const target =
    peer.transports.get(data.id) ??
    peer.producers.get(data.id)?.producer ??
    peer.consumers.get(data.id) ??
    peer.dataProducers.get(data.id) ??
    peer.dataConsumers.get(data.id);
  // The worker may have closed the object a moment ago (its producer went away): not_found, see mediasoup-errors.ts.
  if (target) return { stats: (await target.getStats()) as unknown[] };
  return refuse(ctx, data.id, 'transport, producer or consumer');
};
