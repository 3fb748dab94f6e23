/** Access tokens for tests: a key pair for AUTH_KEYS, minting with our minter, joining with a token. */
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import { PROTOCOL_VERSION, type Response, type ResponseData } from '../../../protocol/src';
import { mintToken, type MintOptions } from '../../src/auth/mint';
import type { TestPeer } from './test-peer';

export const API_KEY = 'test-key';
export const API_SECRET = 'a-test-secret-that-is-long-enough-1234';
/** The environment of a server that requires tokens. */
export const AUTH_ENV = { AUTH_KEYS: `${API_KEY}:${API_SECRET}` };

/** A token for `room` and `identity` signed with the test key; `video` adds to or overrides roomJoin/room. */
export function tokenFor(room: string, identity: string, options: Partial<MintOptions> = {}): Promise<string> {
  return mintToken({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    identity,
    ...options,
    video: { roomJoin: true, room, ...options.video },
  });
}

/** getRouterRtpCapabilities → load the fake Device → join (with `token` if given); the raw answer. */
export async function joinRaw(peer: TestPeer, room: string, displayName: string, token?: string): Promise<Response> {
  const { routerRtpCapabilities } = await peer.request('getRouterRtpCapabilities', {});
  peer.device = new Device({ handlerFactory: FakeHandler.createFactory(testFakeParameters) });
  await peer.device.load({ routerRtpCapabilities });
  const response = await peer.raw('join', {
    protocolVersion: PROTOCOL_VERSION,
    room,
    displayName,
    rtpCapabilities: peer.device.recvRtpCapabilities,
    ...(token !== undefined ? { token } : {}),
  });
  if (response.ok) peer.joined = response.data as ResponseData<'join'>;
  return response;
}

/** Joins with a token; throws with the server's error if refused. */
export async function joinWithToken(peer: TestPeer, room: string, displayName: string, token?: string): Promise<ResponseData<'join'>> {
  const response = await joinRaw(peer, room, displayName, token);
  if (!response.ok) throw new Error(`join refused: ${response.error.code}: ${response.error.message}`);
  return response.data as ResponseData<'join'>;
}
