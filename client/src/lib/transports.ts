/**
 * Creates the send and receive transports and wires mediasoup-client's transport events to signalling
 * requests: connect → connectTransport, produce → produce, producedata → produceData. Also watches the
 * ICE connection and restarts ICE when it breaks, escalating to the session if restarts do not help.
 */
import type { types } from 'mediasoup-client';
import type { Device } from 'mediasoup-client';
import type { IceServer, MediaSource, TransportInfo } from '../../../protocol/src';
import type { SignallingConnection } from './signalling';

/** What the session puts in a producer's appData; read back by the 'produce' handler. */
export interface ProducerAppData extends types.AppData {
  source: MediaSource;
  /** Create the server-side producer paused (re-publishing a muted track). */
  paused?: boolean;
}

export interface TransportSetup {
  direction: 'send' | 'recv';
  info: TransportInfo;
  device: Device;
  signalling: SignallingConnection;
  iceServers: IceServer[];
  forceRelay: boolean;
  /** ICE could not be recovered by restarts: the session should rejoin from scratch. */
  onUnrecoverable: (reason: string) => void;
  onError: (context: string, error: Error) => void;
}

export function createTransport(setup: TransportSetup): types.Transport {
  const { direction, info, device, signalling } = setup;
  if (!info.iceParameters || !info.iceCandidates || !info.dtlsParameters) {
    throw new Error(`createTransport(${direction}) answered without ICE/DTLS parameters (not a WebRTC transport?)`);
  }
  const options: types.TransportOptions = {
    id: info.transportId,
    iceParameters: info.iceParameters,
    iceCandidates: info.iceCandidates,
    dtlsParameters: info.dtlsParameters,
    sctpParameters: info.sctpParameters,
    iceServers: setup.iceServers,
    // 'relay' forces TURN: for networks where only the relay works, and to test that it does.
    iceTransportPolicy: setup.forceRelay ? 'relay' : 'all',
  };
  const transport = direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options);
  const transportId = transport.id;

  // Not waited for: mediasoup-client holds the first setLocalDescription (and so ICE) until this callback,
  // and the answer says nothing it needs. The server runs our requests in order, so everything after
  // (produce, resumeConsumer) finds the transport connected; if it is refused, this link is done for.
  transport.on('connect', ({ dtlsParameters }, callback) => {
    signalling.request('connectTransport', { transportId, dtlsParameters }).catch((error: Error) => {
      if (!transport.closed && signalling.isOpen) setup.onUnrecoverable(`connectTransport failed: ${error.message}`);
    });
    callback();
  });

  if (direction === 'send') {
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const { source, paused } = appData as ProducerAppData;
      signalling
        .request('produce', { transportId, kind, rtpParameters, source, ...(paused ? { paused: true } : {}) })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    transport.on('producedata', ({ sctpStreamParameters, label, protocol }, callback, errback) => {
      signalling
        .request('produceData', { transportId, sctpStreamParameters, label, protocol })
        .then(({ dataProducerId }) => callback({ id: dataProducerId }), errback);
    });
  }

  watchIce(transport, setup);
  return transport;
}

/** 'disconnected' often heals by itself (a Wi-Fi hiccup): give it this long before restarting ICE. */
const DISCONNECTED_GRACE_MS = 2_000;
/** After a restart, if the transport is not connected again within this time, try again. */
const RESTART_CHECK_MS = 10_000;
/** Restarts in a row without reaching 'connected' before giving up on this transport. */
const MAX_RESTARTS = 3;

function watchIce(transport: types.Transport, setup: TransportSetup): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let restarts = 0;
  let restarting = false;

  const schedule = (ms: number): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void restart(), ms);
  };

  const restart = async (): Promise<void> => {
    timer = undefined;
    if (transport.closed || restarting) return;
    const state = transport.connectionState;
    if (state !== 'failed' && state !== 'disconnected') return;
    if (restarts >= MAX_RESTARTS) {
      setup.onUnrecoverable(`${setup.direction} transport stays ${state} after ${restarts} ICE restarts`);
      return;
    }
    restarts++;
    restarting = true;
    try {
      const { iceParameters, iceServers } = await setup.signalling.request('restartIce', { transportId: transport.id });
      if (transport.closed) return;
      // Fresh TURN credentials first: a long call can outlive the ones it joined with.
      await transport.updateIceServers({ iceServers });
      await transport.restartIce({ iceParameters });
    } catch (error) {
      // Usually the signalling is down too; the session's reconnection takes over then.
      if (!transport.closed && setup.signalling.isOpen) setup.onError('restartIce', error as Error);
    } finally {
      restarting = false;
    }
    if (!transport.closed) schedule(RESTART_CHECK_MS);
  };

  transport.on('connectionstatechange', (state) => {
    switch (state) {
      case 'connected':
        restarts = 0;
        clearTimeout(timer);
        break;
      case 'disconnected':
        schedule(DISCONNECTED_GRACE_MS);
        break;
      case 'failed':
        schedule(0);
        break;
      case 'closed':
        clearTimeout(timer);
        break;
      default:
        break;
    }
  });
  transport.observer.on('close', () => clearTimeout(timer));
}
