/**
 * Node harness for server tests and bots: a ConferenceSession that runs without a browser — signalling
 * over Node's own WebSocket, media through mediasoup-client's FakeHandler (real SDP-free ORTC negotiation
 * with the server, no packets), and fake MediaStreamTracks to publish.
 *
 * With FakeHandler the server sees genuine produce/consume/connect requests, so room, fan-out and
 * protocol behaviour can be tested; ICE/DTLS never complete and DataChannels never open (sendChat throws).
 */
import { FakeHandler, testFakeParameters } from 'mediasoup-client';
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { ConferenceSession, type SessionOptions } from '../src/lib';

export function createFakeSession(
  url: string,
  room: string,
  displayName: string,
  options: Partial<Omit<SessionOptions, 'url' | 'room' | 'displayName'>> = {},
): ConferenceSession {
  return new ConferenceSession({
    url,
    room,
    displayName,
    handlerFactory: FakeHandler.createFactory(testFakeParameters),
    ...options,
  });
}

/** A live fake track to publish: 'audio' for mic/screen-audio, 'video' for webcam/screen. */
export function fakeTrack(kind: 'audio' | 'video'): MediaStreamTrack {
  return new FakeMediaStreamTrack({ kind, label: `fake ${kind}` });
}
