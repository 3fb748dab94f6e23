/**
 * Stopping the server the way people do: Ctrl-C in a terminal (SIGINT to the whole foreground process
 * group), a supervisor's SIGTERM to the group, or `kill` of the main process alone. The workers run in a session of their own, so the signal
 * reaches the server alone: peers hear `roomClosed: shutdown` (not `worker_died`), the process exits 0,
 * and nothing is logged as an error.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestPeer } from '../../testkit/test-peer';
import { startTestServer } from '../../testkit/server';
import { PROTOCOL_VERSION } from '../../protocol/src';
import { OS_CHOSEN_PORTS_ENV } from '../../testkit/ports';
import { waitUntilUp } from '../../testkit/server-process';

const root = path.resolve(__dirname, '../..');

const cases = [
  { signal: 'SIGINT', to: 'group' },
  { signal: 'SIGTERM', to: 'group' },
  { signal: 'SIGINT', to: 'process' },
  { signal: 'SIGTERM', to: 'process' },
] as const;

describe('shutdown on a signal', () => {
  it.each(cases)('$signal to the $to: peers are told shutdown, exit 0, no error logged', async ({ signal, to }) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      detached: true, // its own process group, like a shell job
      env: { ...process.env, ...OS_CHOSEN_PORTS_ENV, MEDIASOUP_NUM_WORKERS: '1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await waitUntilUp(child, () => output);
      const peer = await TestPeer.connect(`ws://127.0.0.1:${port}/ws`);
      await peer.join('shutdown-room', 'S');
      const stoppedAt = Date.now();
      process.kill(to === 'group' ? -child.pid! : child.pid!, signal);
      const closed = await peer.waitFor('roomClosed', () => true, 10_000);
      expect(closed.reason, output).toBe('shutdown');
      const code = await Promise.race([exited, sleep(10_000, 'timeout')]);
      expect(code, output).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      peer.close();
      expect(output).toContain('shutting down');
      expect(output).not.toMatch(/"level":(50|60)/); // pino error/fatal (the message shows the log)
      expect(output).not.toMatch(/died/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
});

describe('draining', () => {
  it('once shutdown starts, joins are refused with a reason and /readyz answers 503', async () => {
    const server = await startTestServer({ MEDIASOUP_NUM_WORKERS: '1' });
    try {
      const inside = await TestPeer.connect(server.wsUrl);
      await inside.join('drain-room', 'In');
      const late = await TestPeer.connect(server.wsUrl);
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);

      server.directory.shutDown(); // what the app's preClose hook does first when it closes
      expect((await inside.waitFor('roomClosed')).reason).toBe('shutdown');
      const refused = await late.raw('join', { protocolVersion: PROTOCOL_VERSION, room: 'drain-room', displayName: 'Late', rtpCapabilities: {} });
      expect(refused.ok ? undefined : refused.error).toEqual({ code: 'unavailable', message: expect.stringContaining('shutting down') });
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ ready: false, reason: 'shutting down' });
      inside.close();
      late.close();
    } finally {
      await server.close();
    }
  });
});
