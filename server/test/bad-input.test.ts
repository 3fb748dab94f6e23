/**
 * Bad input gets a clear error for that request alone: the socket stays up and the other peers of the
 * room never notice.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { useRoomFixture } from './helpers/room-fixture';

const fixture = useRoomFixture({ MAX_MESSAGE_BYTES: '4096' }, 'bad');
const { peer } = fixture;

/** The next frame the server sends, whatever it answers to. */
function nextFrame(p: TestPeer): Promise<unknown> {
  return new Promise((resolve) => p.ws.once('message', (raw) => resolve(JSON.parse(raw.toString()))));
}

describe('bad input', () => {
  it('answers malformed frames with invalid_message and keeps serving', async () => {
    const bystander = await peer('bad-room', 'Bystander');
    await bystander.createRecvTransport();
    const p = await peer('bad-room', 'Troublemaker');
    const frames: [string | Buffer, string][] = [
      ['not json at all', 'invalid_message'],
      ['{"id": 7, "method": ', 'invalid_message'],
      ['[1,2,3]', 'invalid_message'],
      ['{"method":"join"}', 'invalid_message'],
      ['{"id":-1,"method":"join","data":{}}', 'invalid_message'],
      ['{"id":3,"method":42}', 'invalid_message'],
      ['null', 'invalid_message'],
      [Buffer.from([1, 2, 3]), 'invalid_message'],
    ];
    for (const [frame, code] of frames) {
      const answer = nextFrame(p);
      p.ws.send(frame);
      expect(await answer, String(frame)).toMatchObject({ ok: false, error: { code } });
    }
    // The sniffed id lets a half-broken request still settle under its own id.
    expect(await p.rawText('{"id": 55, "method": "join", broken', 55)).toMatchObject({ id: 55, ok: false, error: { code: 'invalid_message' } });
    expect(await p.raw('noSuchMethod', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await p.raw('__proto__', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(p.open).toBe(true);
    // Still a working peer in the room, and the bystander saw none of it.
    const mic = await p.publish('mic');
    await bystander.waitFor('newConsumer', (d) => d.producerId === mic.id);
    expect(bystander.notifications.map((n) => n.method).filter((m) => m !== 'audioLevels' && m !== 'activeSpeaker')).toEqual([
      'welcome',
      'peerJoined',
      'newConsumer',
    ]);
  });

  it('answers schema violations with bad_request naming the field', async () => {
    const p = await peer();
    const cases: [string, unknown, RegExp][] = [
      ['join', { protocolVersion: 1, room: '../etc', displayName: 'x', rtpCapabilities: {} }, /\/room/],
      ['join', { protocolVersion: 1, room: 'r', displayName: '', rtpCapabilities: {} }, /\/displayName/],
      ['join', { protocolVersion: 1, room: 'r', displayName: 'x' }, /\/rtpCapabilities/],
      ['join', { protocolVersion: '1', room: 'r', displayName: 'x', rtpCapabilities: {} }, /\/protocolVersion/],
      ['createTransport', { direction: 'sideways' }, /\/direction/],
      ['setConsumerPriority', { consumerId: 'c', priority: 1000 }, /\/priority/],
    ];
    for (const [method, data, field] of cases) {
      const answer = await p.raw(method, data);
      expect(answer, `${method} ${JSON.stringify(data)}`).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(answer.ok === false && answer.error.message).toMatch(field);
    }
    expect(p.open).toBe(true);
  });

  it('rejects parameters mediasoup refuses as bad_request, not a crash', async () => {
    const p = await peer('bad-params', 'P');
    const { transportId } = await p.request('createTransport', { direction: 'send' });
    const answer = await p.raw('produce', {
      transportId,
      kind: 'video',
      source: 'webcam',
      rtpParameters: { codecs: [{ mimeType: 'video/nonexistent', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc: 1 }] },
    });
    expect(answer).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const wrongKind = await p.raw('produce', {
      transportId,
      kind: 'video',
      source: 'mic',
      rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc: 1 }] },
    });
    expect(wrongKind).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await p.raw('connectTransport', { transportId })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const second = await p.raw('createTransport', { direction: 'send' });
    expect(second).toMatchObject({ ok: false, error: { code: 'limit_exceeded' } });
  });

  it('answers an oversized message with message_too_large and keeps the socket', async () => {
    const p = await peer();
    const big = JSON.stringify({ id: 9, method: 'join', data: { pad: 'x'.repeat(8000) } });
    expect(await p.rawText(big, 9)).toMatchObject({ id: 9, ok: false, error: { code: 'message_too_large' } });
    expect(p.open).toBe(true);
    await p.join('after-big', 'P');
  });

  it('closes the socket only for a frame far over the hard limit', async () => {
    const p = await peer();
    const closed = new Promise<number>((resolve) => p.ws.once('close', (code) => resolve(code)));
    p.ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
  });

  it('refuses plain transports when the server disables them', async () => {
    const locked = await startTestServer({ ALLOW_PLAIN_TRANSPORTS: 'false' });
    try {
      const p = await TestPeer.connect(locked.wsUrl);
      await p.join('locked', 'P');
      expect(await p.raw('createTransport', { direction: 'send', type: 'plain' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      p.close();
    } finally {
      await locked.close();
    }
  });
});
