/** createTransport, connectTransport, restartIce. One send and one receive transport per peer. */
import { ProtocolError } from '../../../../protocol/src';
import type { types } from 'mediasoup';
import { empty, own, type Handler } from './context';

export const createTransport: Handler<'createTransport'> = async ({ peer, room }, data) => {
  if (peer.transportFor(data.direction)) {
    throw new ProtocolError('limit_exceeded', `a ${data.direction} transport already exists (use restartIce to recover it)`);
  }
  const plain = data.type === 'plain';
  if (plain && !room.limits.allowPlainTransports) throw new ProtocolError('forbidden', 'plain RTP transports are disabled on this server');
  if (data.srtp && !plain) throw new ProtocolError('bad_request', 'srtp is for plain transports (WebRTC transports always use DTLS-SRTP)');
  const appData = { direction: data.direction, peerId: peer.id, sctp: !plain && data.enableSctp === true };
  const transport = plain
    ? await room.media.createPlainTransport(appData, data.srtp === true)
    : await room.media.createWebRtcTransport({
        appData,
        forceTcp: data.forceTcp === true,
        enableSctp: appData.sctp,
        maxIncomingBitrate: room.limits.maxIncomingBitrate,
      });
  if (peer.closed) {
    transport.close();
    throw new ProtocolError('not_joined', 'left the room meanwhile');
  }
  peer.transports.set(transport.id, transport);
  // Consumers of what is already published are announced just before the answer, all together: a
  // client buffers them until it has the transport (docs/protocol.md), then sets them up in one
  // renegotiation and resumes them — instead of one renegotiation per notification as they trickle in.
  if (data.direction === 'recv') await room.consumeExisting(peer);
  if (transport.type === 'plain') {
    const { srtpParameters } = transport;
    return { transportId: transport.id, ip: transport.tuple.localAddress, port: transport.tuple.localPort, ...(srtpParameters ? { srtpParameters } : {}) };
  }
  return {
    transportId: transport.id,
    iceParameters: transport.iceParameters,
    iceCandidates: transport.iceCandidates as never,
    dtlsParameters: transport.dtlsParameters as never,
    ...(transport.sctpParameters ? { sctpParameters: transport.sctpParameters } : {}),
  };
};

export const connectTransport: Handler<'connectTransport'> = async (ctx, data) => {
  const transport = own(ctx, ctx.peer.transports, data.transportId, 'transport');
  if (transport.type === 'plain') {
    const srtp = transport.srtpParameters !== undefined;
    if (srtp && !data.srtpParameters) throw new ProtocolError('bad_request', 'this transport was created with srtp: srtpParameters (your key) is required');
    if (!srtp && data.srtpParameters) throw new ProtocolError('bad_request', 'this transport was created without srtp: srtpParameters is not accepted');
    const srtpParameters = data.srtpParameters ? { srtpParameters: data.srtpParameters } : {};
    if (data.ip === undefined || data.port === undefined) {
      if (transport.appData.direction !== 'send') throw new ProtocolError('bad_request', 'a plain receive transport needs ip and port');
      // comedia: the first packet tells the address; an SRTP one still needs the key now.
      if (srtp) await transport.connect(srtpParameters);
      return empty;
    }
    await transport.connect({ ip: data.ip, port: data.port, ...srtpParameters });
    return empty;
  }
  if (!data.dtlsParameters) throw new ProtocolError('bad_request', 'dtlsParameters is required for a WebRTC transport');
  await transport.connect({ dtlsParameters: data.dtlsParameters as types.DtlsParameters });
  return empty;
};

export const restartIce: Handler<'restartIce'> = async (ctx, data) => {
  const transport = own(ctx, ctx.peer.transports, data.transportId, 'transport');
  if (transport.type !== 'webrtc') throw new ProtocolError('bad_request', 'only WebRTC transports have ICE');
  const iceParameters = await transport.restartIce();
  return { iceParameters, iceServers: ctx.iceServers() };
};
