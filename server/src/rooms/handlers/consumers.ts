/** pauseConsumer, resumeConsumer, setPreferredLayers, setConsumerPriority, requestKeyFrame. */
import { ProtocolError } from '../../../../protocol/src';
import { empty, own, type Handler } from './context';

export const pauseConsumer: Handler<'pauseConsumer'> = async (ctx, data) => {
  const consumer = own(ctx, ctx.peer.consumers, data.consumerId, 'consumer');
  await consumer.pause();
  return empty;
};

export const resumeConsumer: Handler<'resumeConsumer'> = async (ctx, data) => {
  const consumer = own(ctx, ctx.peer.consumers, data.consumerId, 'consumer');
  await consumer.resume();
  return empty;
};

export const setPreferredLayers: Handler<'setPreferredLayers'> = async (ctx, data) => {
  const consumer = own(ctx, ctx.peer.consumers, data.consumerId, 'consumer');
  if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
    throw new ProtocolError('bad_request', `consumer ${consumer.id} has a single layer (type ${consumer.type})`);
  }
  const layers =
    data.temporalLayer === undefined ? { spatialLayer: data.spatialLayer } : { spatialLayer: data.spatialLayer, temporalLayer: data.temporalLayer };
  await consumer.setPreferredLayers(layers);
  return empty;
};

export const setConsumerPriority: Handler<'setConsumerPriority'> = async (ctx, data) => {
  const consumer = own(ctx, ctx.peer.consumers, data.consumerId, 'consumer');
  await consumer.setPriority(data.priority);
  return empty;
};

export const requestKeyFrame: Handler<'requestKeyFrame'> = async (ctx, data) => {
  const consumer = own(ctx, ctx.peer.consumers, data.consumerId, 'consumer');
  await consumer.requestKeyFrame();
  return empty;
};
