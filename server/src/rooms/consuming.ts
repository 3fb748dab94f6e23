/**
 * Server-initiated consuming. A consumer is created paused and announced with `newConsumer`; the client
 * resumes it once its local consumer is ready, so the first keyframe is not lost. Consumer events become
 * notifications to the consuming peer.
 */
import type { Logger } from 'pino';
import type { types } from 'mediasoup';
import type { MediaSource } from '../../../protocol/src';
import type { Peer } from './peer';

/** What consuming needs of the room (a Room is one): its router and its log. Not Room itself, which calls in here. */
export interface ConsumingRoom {
  readonly router: types.Router;
  readonly log: Logger;
}

export interface ProducerAppData extends types.AppData {
  peerId: string;
  source: MediaSource;
}

/**
 * Producers each peer consumes or is about to: a new receive transport consumes what is published while a
 * producer made at that moment is also fanned out to it — one consumer per producer and peer all the same.
 */
const claimed = new WeakMap<Peer, Set<string>>();

function claim(peer: Peer, producerId: string): boolean {
  let producers = claimed.get(peer);
  if (!producers) claimed.set(peer, (producers = new Set()));
  if (producers.has(producerId)) return false;
  producers.add(producerId);
  return true;
}

export async function consumeProducer(room: ConsumingRoom, peer: Peer, owner: Peer, producer: types.Producer): Promise<void> {
  const transport = peer.transportFor('recv');
  if (!transport || peer.closed || producer.closed) return;
  if (!room.router.canConsume({ producerId: producer.id, rtpCapabilities: peer.rtpCapabilities })) return;
  if (!claim(peer, producer.id)) return;
  const { source } = producer.appData as ProducerAppData;
  let consumer: types.Consumer;
  try {
    consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: peer.rtpCapabilities,
      paused: true,
      enableRtx: true,
      ignoreDtx: true,
      appData: { peerId: owner.id, source },
    });
  } catch (error) {
    // The producer or the transport closed meanwhile: nothing to announce.
    claimed.get(peer)?.delete(producer.id);
    if (!producer.closed && !transport.closed) room.log.warn({ err: error, peer: peer.id }, 'consume failed');
    return;
  }
  if (peer.closed) {
    if (!transport.closed) consumer.close(); // as for data consumers below
    return;
  }
  peer.consumers.set(consumer.id, consumer);
  const consumerId = consumer.id;
  const gone = (): void => {
    if (!peer.consumers.delete(consumerId)) return;
    peer.notify('consumerClosed', { consumerId });
  };
  consumer.on('transportclose', () => peer.consumers.delete(consumerId));
  consumer.on('producerclose', gone);
  consumer.on('producerpause', () => peer.notify('consumerPaused', { consumerId }));
  consumer.on('producerresume', () => peer.notify('consumerResumed', { consumerId }));
  consumer.on('score', (score) => peer.notify('consumerScore', { consumerId, score }));
  consumer.on('layerschange', (layers) =>
    peer.notify('layersChanged', { consumerId, spatialLayer: layers?.spatialLayer ?? null, temporalLayer: layers?.temporalLayer ?? null }),
  );
  peer.notify('newConsumer', {
    consumerId,
    producerId: producer.id,
    peerId: owner.id,
    kind: consumer.kind,
    source,
    rtpParameters: consumer.rtpParameters as never,
    type: consumer.type,
    producerPaused: consumer.producerPaused,
  });
}

export async function consumeData(room: ConsumingRoom, peer: Peer, owner: Peer, dataProducer: types.DataProducer): Promise<void> {
  const transport = peer.transportFor('recv');
  if (!transport || peer.closed || dataProducer.closed || !transport.appData.sctp) return;
  let dataConsumer: types.DataConsumer;
  try {
    dataConsumer = await transport.consumeData({ dataProducerId: dataProducer.id });
  } catch (error) {
    if (!dataProducer.closed && !transport.closed) room.log.warn({ err: error, peer: peer.id }, 'consumeData failed');
    return;
  }
  if (peer.closed) {
    // Leaving closed the transport, and with it this consumer in the worker: closing it again would only
    // make mediasoup log a not-found error.
    if (!transport.closed) dataConsumer.close();
    return;
  }
  const dataConsumerId = dataConsumer.id;
  peer.dataConsumers.set(dataConsumerId, dataConsumer);
  dataConsumer.on('transportclose', () => peer.dataConsumers.delete(dataConsumerId));
  dataConsumer.on('dataproducerclose', () => {
    if (peer.dataConsumers.delete(dataConsumerId)) peer.notify('dataConsumerClosed', { dataConsumerId });
  });
  peer.notify('newDataConsumer', {
    dataConsumerId,
    dataProducerId: dataProducer.id,
    peerId: owner.id,
    sctpStreamParameters: dataConsumer.sctpStreamParameters!,
    label: dataConsumer.label,
    protocol: dataConsumer.protocol,
  });
}
