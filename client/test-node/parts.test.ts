/**
 * The session's parts in isolation, with a stub RoomLink: chat routing and the consumer races that are
 * hard to provoke against a real server.
 */
import { describe, expect, it, vi } from 'vitest';
import { Chat } from '../src/lib/chat';
import { RemoteMedia } from '../src/lib/consumers';
import { Emitter } from '../src/lib/emitter';
import type { SessionEvents } from '../src/lib/events';
import type { RoomLink } from '../src/lib/room-link';

function recorder(): { events: Emitter<SessionEvents>; seen: [string, unknown][] } {
  const events = new Emitter<SessionEvents>();
  const seen: [string, unknown][] = [];
  for (const name of ['track', 'trackEnded', 'trackMuted', 'chat', 'error'] as const) events.on(name, (p) => seen.push([name, p]));
  return { events, seen };
}

/** A stand-in for mediasoup-client's DataConsumer/DataProducer/Consumer: just what the parts touch. */
function fakeEmitterObject<T extends object>(fields: T) {
  const listeners = new Map<string, ((arg: unknown) => void)[]>();
  return Object.assign(fields, {
    closed: false,
    close: vi.fn(function (this: { closed: boolean }) {
      this.closed = true;
    }),
    on(event: string, fn: (arg: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
    },
    fire(event: string, arg: unknown) {
      for (const fn of listeners.get(event) ?? []) fn(arg);
    },
  });
}

const newConsumer = {
  consumerId: 'c1',
  producerId: 'p1',
  peerId: 'peer1',
  kind: 'video' as const,
  source: 'webcam' as const,
  rtpParameters: { codecs: [] },
  type: 'simulcast' as const,
  producerPaused: false,
};

describe('Chat', () => {
  it('holds remote chat channels until attach (after the media), then routes their messages with the sender name from the peer list', async () => {
    const { events, seen } = recorder();
    const chat = new Chat(events, (peerId) => (peerId === 'peer1' ? 'Ada' : 'unknown'));
    const dataConsumer = fakeEmitterObject({ id: 'dc1' });
    const consumeData = vi.fn(async () => dataConsumer);
    const link = { closed: false, sendSctp: false, recvTransport: { consumeData } } as unknown as RoomLink;
    await chat.addConsumer(link, {
      dataConsumerId: 'dc1',
      dataProducerId: 'dp1',
      peerId: 'peer1',
      sctpStreamParameters: { streamId: 1 },
      label: 'chat',
      protocol: '',
    });
    expect(consumeData).not.toHaveBeenCalled();
    await chat.attach(link);
    expect(consumeData).toHaveBeenCalledTimes(1);
    dataConsumer.fire('message', JSON.stringify({ text: 'hello', displayName: 'spoofed' }));
    dataConsumer.fire('message', new TextEncoder().encode(JSON.stringify({ text: 'bytes' })).buffer);
    dataConsumer.fire('message', 'not json');
    dataConsumer.fire('message', JSON.stringify({ text: 42 }));
    expect(seen.map(([, p]) => p)).toMatchObject([
      { peerId: 'peer1', displayName: 'Ada', text: 'hello', self: false },
      { peerId: 'peer1', displayName: 'Ada', text: 'bytes', self: false },
    ]);
  });

  it('sends JSON {text} on an open DataProducer and refuses otherwise', async () => {
    const { events } = recorder();
    const chat = new Chat(events, () => 'x');
    expect(() => chat.send('hi', { peerId: 'me', displayName: 'Me' })).toThrow(/not available/);
    const producer = fakeEmitterObject({ readyState: 'open', send: vi.fn() });
    const link = { closed: false, sendSctp: true, sendTransport: { produceData: async () => producer } } as unknown as RoomLink;
    await chat.attach(link);
    const message = chat.send('  hi  ', { peerId: 'me', displayName: 'Me' });
    expect(producer.send).toHaveBeenCalledWith(JSON.stringify({ text: 'hi' }));
    expect(message).toMatchObject({ peerId: 'me', displayName: 'Me', text: 'hi', self: true });
    expect(() => chat.send('   ', { peerId: 'me', displayName: 'Me' })).toThrow(/empty/);
  });
});

describe('RemoteMedia', () => {
  function stubLink(consume: () => Promise<unknown>) {
    const request = vi.fn(async () => ({}));
    const link = { closed: false, recvTransport: { consume }, signalling: { request } } as unknown as RoomLink;
    return { link, request };
  }

  it('consumes, resumes on the server, then emits track; mute and close follow', async () => {
    const { events, seen } = recorder();
    const remote = new RemoteMedia(events);
    const consumer = fakeEmitterObject({ track: { kind: 'video' } });
    const { link, request } = stubLink(async () => consumer);
    await remote.add(link, newConsumer);
    expect(request).toHaveBeenCalledWith('resumeConsumer', { consumerId: 'c1' });
    remote.setRemotePaused('c1', true);
    remote.remove('c1');
    expect(seen.map(([name]) => name)).toEqual(['track', 'trackMuted', 'trackEnded']);
    expect(consumer.close).toHaveBeenCalled();
  });

  it('a consumer closed while it is being set up is discarded silently', async () => {
    const { events, seen } = recorder();
    const remote = new RemoteMedia(events);
    const consumer = fakeEmitterObject({ track: { kind: 'video' } });
    let finish!: (value: unknown) => void;
    const { link, request } = stubLink(() => new Promise((resolve) => (finish = resolve)));
    const adding = remote.add(link, newConsumer);
    remote.remove('c1');
    finish(consumer);
    await adding;
    expect(seen).toEqual([]);
    expect(consumer.close).toHaveBeenCalled();
    expect(request).not.toHaveBeenCalled();
  });

  it('a pause that overtakes setup shows in the track event; removeAll ends announced tracks', async () => {
    const { events, seen } = recorder();
    const remote = new RemoteMedia(events);
    let finish!: (value: unknown) => void;
    const { link } = stubLink(() => new Promise((resolve) => (finish = resolve)));
    const adding = remote.add(link, newConsumer);
    remote.setRemotePaused('c1', true);
    finish(fakeEmitterObject({ track: { kind: 'video' } }));
    await adding;
    expect(seen).toMatchObject([['track', { consumerId: 'c1', paused: true }]]);
    remote.removeAll();
    expect(seen.map(([name]) => name)).toEqual(['track', 'trackEnded']);
  });
});
