/** SignallingConnection against a scripted in-process `ws` server: no mediasoup, no room logic. */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProtocolError } from '../../protocol/src/errors';
import { ConnectionClosedError, RequestTimeoutError, SignallingConnection } from '../src/lib/signalling';

type Reply = (request: { id: number; method: string; data: unknown }, socket: WebSocket) => void;

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function scriptedServer(reply: Reply): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  server.on('connection', (socket) => socket.on('message', (raw) => reply(JSON.parse(String(raw)), socket)));
  await new Promise((resolve) => server.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function connection(url: string, requestTimeoutMs = 2_000): SignallingConnection {
  return new SignallingConnection(url, { requestTimeoutMs });
}

describe('SignallingConnection', () => {
  it('answers requests by id, with increasing ids, out of order', async () => {
    const seen: number[] = [];
    const url = await scriptedServer((req, socket) => {
      seen.push(req.id);
      // Answer the first request last: responses are matched by id, not order.
      const delay = req.method === 'getRouterRtpCapabilities' ? 50 : 0;
      setTimeout(() => socket.send(JSON.stringify({ id: req.id, ok: true, data: { echo: req.method } })), delay);
    });
    const conn = connection(url);
    await conn.open();
    const [a, b] = await Promise.all([conn.request('getRouterRtpCapabilities', {}), conn.request('leave', {})]);
    expect(a).toEqual({ echo: 'getRouterRtpCapabilities' });
    expect(b).toEqual({ echo: 'leave' });
    expect(seen).toEqual([1, 2]);
    conn.close();
  });

  it('rejects with ProtocolError on {ok:false}', async () => {
    const url = await scriptedServer((req, socket) => socket.send(JSON.stringify({ id: req.id, ok: false, error: { code: 'room_full', message: 'full' } })));
    const conn = connection(url);
    await conn.open();
    const error = await conn.request('leave', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('room_full');
    expect((error as ProtocolError).message).toBe('full');
    conn.close();
  });

  it('rejects with RequestTimeoutError when unanswered, and ignores the late answer', async () => {
    const url = await scriptedServer((req, socket) => setTimeout(() => socket.send(JSON.stringify({ id: req.id, ok: true, data: {} })), 300));
    const conn = connection(url, 100);
    await conn.open();
    await expect(conn.request('leave', {})).rejects.toBeInstanceOf(RequestTimeoutError);
    await sleep(300);
    expect(conn.isOpen).toBe(true);
    conn.close();
  });

  it('rejects pending requests and emits close when the server closes the socket', async () => {
    const url = await scriptedServer((_req, socket) => socket.close(4001, 'bye'));
    const conn = connection(url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => conn.on('close', resolve));
    await conn.open();
    await expect(conn.request('leave', {})).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(await closed).toEqual({ code: 4001, reason: 'bye' });
    await expect(conn.request('leave', {})).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('emits notifications', async () => {
    const url = await scriptedServer((req, socket) => {
      socket.send(JSON.stringify({ method: 'peerLeft', data: { peerId: 'p1' } }));
      socket.send(JSON.stringify({ id: req.id, ok: true, data: {} }));
    });
    const conn = connection(url);
    const notifications: unknown[] = [];
    conn.on('notification', (n) => notifications.push(n));
    await conn.open();
    await conn.request('leave', {});
    expect(notifications).toEqual([{ method: 'peerLeft', data: { peerId: 'p1' } }]);
    conn.close();
  });

  it('open() rejects when nothing listens, and close() during open rejects it', async () => {
    const refused = connection('ws://127.0.0.1:1');
    await expect(refused.open()).rejects.toBeInstanceOf(ConnectionClosedError);

    const url = await scriptedServer(() => undefined);
    const conn = connection(url);
    const opening = conn.open();
    conn.close();
    await expect(opening).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('emits close once, also for a local close()', async () => {
    const url = await scriptedServer(() => undefined);
    const conn = connection(url);
    let closes = 0;
    conn.on('close', () => closes++);
    await conn.open();
    conn.close();
    conn.close();
    await sleep(50);
    expect(closes).toBe(1);
  });
});
