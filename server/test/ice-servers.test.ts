/**
 * TURN credentials (coturn's TURN REST API form) and what a peer is told in `iceServers`: unit checks of
 * the HMAC, then through a real server — join and restartIce hand out fresh, per-peer credentials and
 * never the secret. That coturn itself accepts them is proven in turn-coturn.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { iceServersFor, turnCredential } from '../src/turn/credentials';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { OS_CHOSEN_PORTS_ENV } from '../../testkit/ports';
import { waitUntilUp } from '../../testkit/server-process';

const SECRET = 'a-test-secret-of-enough-length-1234';
const TURN_URLS = 'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp,turns:localhost:5349?transport=tcp';

describe('TURN credentials', () => {
  it('username is <expiry>:<identity>, credential is base64 HMAC-SHA1 of it', () => {
    const { username, credential } = turnCredential(SECRET, 'peer-1', 1_900_000_000);
    expect(username).toBe('1900000000:peer-1');
    expect(credential).toBe(createHmac('sha1', SECRET).update('1900000000:peer-1').digest('base64'));
    expect(turnCredential('another-secret-of-enough-length', 'peer-1', 1_900_000_000).credential).not.toBe(credential);
  });

  it('iceServers carry STUN as is and TURN with a credential valid for the TTL', () => {
    const ice = { stunUrls: ['stun:stun.example.org:3478'], turnUrls: ['turn:t.example.org:3478'], turnSecret: SECRET, credentialTtlSeconds: 600 };
    const servers = iceServersFor(ice, 'p', 1_000_000_000_000);
    expect(servers).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      { urls: ['turn:t.example.org:3478'], ...turnCredential(SECRET, 'p', 1_000_000_000 + 600) },
    ]);
    expect(iceServersFor({ ...ice, stunUrls: [], turnUrls: [] }, 'p')).toEqual([]);
  });
});

describe('iceServers from a real server', () => {
  let server: TestServer;
  const peers: TestPeer[] = [];
  beforeAll(async () => {
    server = await startTestServer({ TURN_URLS, TURN_SECRET: SECRET, TURN_CREDENTIAL_TTL: '3600', STUN_URLS: 'stun:127.0.0.1:3478' });
  });
  afterAll(async () => {
    for (const peer of peers) peer.close();
    await server.close();
  });

  it('join gives each peer its own TURN credential, valid for TURN_CREDENTIAL_TTL', async () => {
    const a = await TestPeer.connect(server.wsUrl);
    const b = await TestPeer.connect(server.wsUrl);
    peers.push(a, b);
    const before = Math.floor(Date.now() / 1000);
    const ja = await a.join('ice-room', 'A');
    const jb = await b.join('ice-room', 'B');
    const turnA = ja.iceServers.find((s) => s.username)!;
    const turnB = jb.iceServers.find((s) => s.username)!;
    expect(ja.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    expect(turnA.urls).toEqual(TURN_URLS.split(','));
    const [expiry, identity] = turnA.username!.split(':');
    expect(identity).toBe(ja.peerId);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
    expect(turnA.credential).toBe(createHmac('sha1', SECRET).update(turnA.username!).digest('base64'));
    expect(turnB.username!.endsWith(`:${jb.peerId}`)).toBe(true);
    expect(JSON.stringify([ja, jb])).not.toContain(SECRET);
  });

  it('restartIce hands out fresh credentials with the new ICE parameters', async () => {
    const peer = await TestPeer.connect(server.wsUrl);
    peers.push(peer);
    const joined = await peer.join('ice-room-2', 'C');
    const transport = await peer.createSendTransport();
    await sleep(1100); // the expiry has one-second resolution
    const restarted = await peer.request('restartIce', { transportId: transport.id });
    const fresh = restarted.iceServers.find((s) => s.username)!;
    const old = joined.iceServers.find((s) => s.username)!;
    expect(Number(fresh.username!.split(':')[0])).toBeGreaterThan(Number(old.username!.split(':')[0]));
    expect(fresh.username!.endsWith(`:${joined.peerId}`)).toBe(true);
    expect(fresh.credential).toBe(createHmac('sha1', SECRET).update(fresh.username!).digest('base64'));
    expect(JSON.stringify(restarted)).not.toContain(SECRET);
  });

  it('the secret is never logged, not even at debug level, while peers join and restart ICE', async () => {
    const root = path.resolve(__dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        TURN_URLS,
        TURN_SECRET: SECRET,
        LOG_LEVEL: 'trace',
        MEDIASOUP_LOG_LEVEL: 'debug',
        ...OS_CHOSEN_PORTS_ENV,
        MEDIASOUP_NUM_WORKERS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const port = await waitUntilUp(child, () => output);
      const peer = await TestPeer.connect(`ws://127.0.0.1:${port}/ws`);
      peers.push(peer);
      const joined = await peer.join('log-room', 'L');
      const transport = await peer.createSendTransport();
      await peer.request('restartIce', { transportId: transport.id });
      await peer.raw('join', { nonsense: SECRET }); // even a bad request quoting it
      peer.close();
      await sleep(300);
      expect(output).toContain('browsers get these ICE servers');
      expect(output).toContain(joined.peerId);
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(joined.iceServers.find((s) => s.credential)!.credential!);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('a server without TURN/STUN settings gives an empty list', async () => {
    const plain = await startTestServer({});
    try {
      const peer = await TestPeer.connect(plain.wsUrl);
      peers.push(peer);
      expect((await peer.join('no-ice', 'D')).iceServers).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
