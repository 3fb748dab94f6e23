/** produce, closeProducer, pauseProducer, resumeProducer. */
import { ProtocolError, SOURCE_KIND } from '../../../../protocol/src';
import type { types } from 'mediasoup';
import type { ProducerAppData } from '../consuming';
import { empty, own, type Handler, type HandlerContext } from './context';

export const produce: Handler<'produce'> = async (ctx, data) => {
  const { peer, room } = ctx;
  const transport = own(ctx, peer.transports, data.transportId, 'transport');
  if (transport.appData.direction !== 'send') throw new ProtocolError('bad_request', 'produce needs a send transport');
  if (peer.producers.size >= room.limits.maxProducersPerPeer) {
    throw new ProtocolError('limit_exceeded', `at most ${room.limits.maxProducersPerPeer} producers per peer`);
  }
  const expectedKind = SOURCE_KIND[data.source];
  if (data.kind !== expectedKind) throw new ProtocolError('bad_request', `source ${data.source} must be ${expectedKind}`);
  const appData: ProducerAppData = { peerId: peer.id, source: data.source };
  const producer = await transport.produce({
    kind: data.kind,
    rtpParameters: data.rtpParameters as types.RtpParameters,
    paused: data.paused === true,
    appData,
  });
  if (peer.closed) {
    producer.close();
    throw new ProtocolError('not_joined', 'left the room meanwhile');
  }
  peer.producers.set(producer.id, { producer, source: data.source });
  producer.on('transportclose', () => {
    // Closing because the peer leaves or its room closes is no news to the peer itself.
    if (peer.producers.delete(producer.id) && !peer.closed) peer.notify('producerClosed', { producerId: producer.id });
  });
  producer.on('score', (score) => peer.notify('producerScore', { producerId: producer.id, score }));
  if (producer.kind === 'audio') {
    await room.media.activeSpeaker.addProducer({ producerId: producer.id });
    await room.media.audioLevels.addProducer({ producerId: producer.id });
  }
  // Answer first, then fan out: the publisher's request is not held up by N consumers being created.
  queueMicrotask(() => void room.fanOutProducer(peer, producer));
  return { producerId: producer.id };
};

function ownProducer(ctx: HandlerContext, producerId: string): types.Producer {
  return own(ctx, ctx.peer.producers, producerId, 'producer').producer;
}

export const closeProducer: Handler<'closeProducer'> = async (ctx, data) => {
  const producer = ownProducer(ctx, data.producerId);
  ctx.peer.producers.delete(producer.id);
  producer.close();
  return empty;
};

export const pauseProducer: Handler<'pauseProducer'> = async (ctx, data) => {
  const producer = ownProducer(ctx, data.producerId);
  await producer.pause();
  return empty;
};

export const resumeProducer: Handler<'resumeProducer'> = async (ctx, data) => {
  const producer = ownProducer(ctx, data.producerId);
  await producer.resume();
  return empty;
};
