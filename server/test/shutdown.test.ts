/**
 * Stopping the server the way people do: Ctrl-C in a terminal (SIGINT to the whole foreground process
 * group) or a supervisor's SIGTERM to the group. The workers run in a session of their own, so the signal
 * reaches the server alone: peers hear `roomClosed: shutdown` (not `worker_died`), the process exits 0,
 * and nothing is logged as an error.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { portBlock } from './helpers/ports';
import { TestPeer } from './helpers/test-peer';

const root = path.resolve(__dirname, '../..');

describe('shutdown on a signal to the process group', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s: peers are told shutdown, exit 0, no error logged', async (signal) => {
    const port = portBlock() + (signal === 'SIGINT' ? 44 : 42);
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: root,
      detached: true, // its own process group, like a shell job
      env: { ...process.env, HTTP_PORT: String(port), RTC_BASE_PORT: String(port - 1), MEDIASOUP_NUM_WORKERS: '1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 200 && !output.includes('Confero is up'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const peer = await TestPeer.connect(`ws://127.0.0.1:${port}/ws`);
      await peer.join('shutdown-room', 'S');
      const stoppedAt = Date.now();
      process.kill(-child.pid!, signal);
      const closed = await peer.waitFor('roomClosed', () => true, 10_000);
      expect(closed.reason, output).toBe('shutdown');
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000))]);
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
