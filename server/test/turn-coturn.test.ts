/**
 * Real coturn, configured by the project's own launcher, against the credentials a real Confero server
 * hands out — checked with coturn's own client (turnutils_uclient), which nobody here wrote: issued
 * credentials relay over UDP, TCP and TLS; expired, forged and wrong-secret ones are refused; the
 * hardening refuses relaying into loopback and private ranges; the secret shows up nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { selfSigned } from '../src/edge/tls';
import { turnCredential } from '../src/turn/credentials';
import { startTestCoturn, TEST_TURN_SECRET, freeTurnPorts, uclient, waitForLog, type TestCoturn } from '../../testkit/coturn';
import { startTestServer, type TestServer } from '../../testkit/server';
import { TestPeer } from '../../testkit/test-peer';
import { until } from '../../testkit/until';

let coturn: TestCoturn;
let server: TestServer;
let peer: TestPeer;
let issued: { username: string; credential: string };
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-turn-cert-'));
const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  const pems = await selfSigned(['localhost', '127.0.0.1']);
  fs.writeFileSync(path.join(certDir, 'cert.pem'), pems.cert);
  fs.writeFileSync(path.join(certDir, 'key.pem'), pems.key);
  coturn = await startTestCoturn({ TURN_TLS_CERT: path.join(certDir, 'cert.pem'), TURN_TLS_KEY: path.join(certDir, 'key.pem') }, ['127.0.0.1']);
  const { port, tlsPort } = coturn.config.turn;
  server = await startTestServer({
    TURN_SECRET: TEST_TURN_SECRET,
    TURN_URLS: `turn:127.0.0.1:${port}?transport=udp,turn:127.0.0.1:${port}?transport=tcp,turns:localhost:${tlsPort}?transport=tcp`,
  });
  peer = await TestPeer.connect(server.wsUrl);
  const joined = await peer.join('turn-room', 'T');
  const turn = joined.iceServers.find((s) => s.username)!;
  issued = { username: turn.username!, credential: turn.credential! };
});

afterAll(async () => {
  peer?.close();
  await server?.close();
  await coturn?.stop();
  fs.rmSync(certDir, { recursive: true, force: true });
});

// Relayed messages > 0 proves the credentials were accepted and coturn relayed between its allocations;
// the relay leg between them is UDP, which may drop a few on a loaded machine (seen: 7 of 10 over TLS).
describe('coturn with Confero-issued credentials', () => {
  it('relays over UDP', async () => {
    const result = await uclient('127.0.0.1', coturn.config.turn.port, issued.username, issued.credential);
    expect(result.received, result.output.slice(-500)).toBeGreaterThan(0);
    const allocated = `user <${issued.username}>: incoming packet ALLOCATE processed, success`;
    expect(await waitForLog(coturn, allocated)).toContain(allocated);
  });

  it('relays over TCP', async () => {
    const result = await uclient('127.0.0.1', coturn.config.turn.port, issued.username, issued.credential, ['-t']);
    expect(result.received, result.output.slice(-500)).toBeGreaterThan(0);
  });

  it('relays over TLS (TURNS) with the test certificate', async () => {
    const result = await uclient('127.0.0.1', coturn.config.turn.tlsPort, issued.username, issued.credential, ['-t', '-S']);
    expect(result.received, result.output.slice(-500)).toBeGreaterThan(0);
    expect(await waitForLog(coturn, /TLSv1\.[23]/)).toMatch(/TLSv1\.[23]/);
  });

  it.each([
    ['expired', () => turnCredential(TEST_TURN_SECRET, 'peer-x', now() - 5)],
    ['forged', () => ({ username: `${now() + 600}:peer-x`, credential: Buffer.from('not the hmac of anything').toString('base64') })],
    ['wrong-secret', () => turnCredential('some-other-secret-0123456789abcdef', 'peer-x', now() + 600)],
  ])('refuses %s credentials', async (_kind, make) => {
    const { username, credential } = make();
    const result = await uclient('127.0.0.1', coturn.config.turn.port, username, credential);
    expect(result.received).toBe(0);
    expect(result.output).toMatch(/Cannot complete Allocation|error 401/);
    expect(coturn.coturn.output()).not.toContain(`user <${username}>: incoming packet ALLOCATE processed, success`);
  });

  it.each(['127.0.0.2', '10.20.30.40', '192.168.1.1'])('refuses to relay to %s (loopback/private, not the SFU)', async (target) => {
    const result = await uclient('127.0.0.1', coturn.config.turn.port, issued.username, issued.credential, ['-e', target, '-r', '9']);
    expect(result.output).toContain('403 (Forbidden IP)');
  });

  it('keeps the secret off the command line and out of its log; the config file is private', () => {
    const pid = coturn.coturn.process.pid!;
    const cmdlines = [pid, ...childPids(pid)].map((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    for (const cmdline of cmdlines) expect(cmdline).not.toContain(TEST_TURN_SECRET);
    expect(coturn.coturn.output()).not.toContain(TEST_TURN_SECRET);
    expect(fs.statSync(coturn.coturn.configFile).mode & 0o077).toBe(0);
    // Hermetic: its own pid file and database, not /var/run or /var/lib/turn.
    const config = fs.readFileSync(coturn.coturn.configFile, 'utf8');
    expect(config).toContain(`pidfile=${path.dirname(coturn.coturn.configFile)}`);
    expect(config).toContain(`userdb=${path.dirname(coturn.coturn.configFile)}`);
  });
});

describe('npm run turn', () => {
  const root = path.resolve(__dirname, '../..');
  const run = (env: Record<string, string>) =>
    spawn('npm', ['run', 'turn'], { cwd: root, detached: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

  // Its files go to the project cache (~/.cache/confero/turn/<port>): CONFERO_CACHE_DIR would also move
  // the worker cache and make set-up rebuild the worker.
  it('starts coturn from the Confero environment and stops it on Ctrl-C', { timeout: 60_000 }, async () => {
    const { port, minPort, maxPort } = await freeTurnPorts();
    const child = run({ TURN_SECRET: TEST_TURN_SECRET, TURN_PORT: String(port), TURN_MIN_PORT: String(minPort), TURN_MAX_PORT: String(maxPort) });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await until(() => out.includes('confero turn: coturn listening'), { timeoutMs: 30_000, intervalMs: 100, what: () => `coturn is listening:\n${out}` });
      expect(out).toContain(`confero turn: coturn listening on 127.0.0.1 port ${port} (udp+tcp)`);
      const result = await uclient('127.0.0.1', port, issued.username, issued.credential);
      expect(result.received, result.output.slice(-300)).toBeGreaterThan(0);
      expect(out).not.toContain(TEST_TURN_SECRET);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGINT');
      await Promise.race([exited, sleep(10_000)]);
    }
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
  });

  it('without TURN_SECRET exits with code 2 and one line saying so', async () => {
    const child = run({ TURN_SECRET: '' });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(
      err
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('confero turn:')),
    ).toEqual([expect.stringMatching(/confero turn: set TURN_SECRET/)]);
  });
});

function childPids(pid: number): number[] {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.flatMap((child) => [child, ...childPids(child)]);
  } catch {
    return [];
  }
}
