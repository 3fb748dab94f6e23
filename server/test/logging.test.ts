/**
 * Logs for people and for machines: the real server started on a terminal (a pseudo-terminal made by
 * util-linux `script`) writes coloured lines, and with stdout piped writes one JSON object per line.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { OS_CHOSEN_PORTS_ENV } from '../../testkit/ports';
import { waitUntilUp } from '../../testkit/server-process';

const root = path.resolve(__dirname, '../..');
const server = `${JSON.stringify(process.execPath)} --import tsx server/src/main.ts`;

/** Runs the server until it says it is up, stops it with SIGTERM to its group, returns what it printed. */
async function runUntilUp(command: string, env: Record<string, string> = {}): Promise<string> {
  const child = spawn('bash', ['-c', command], {
    cwd: root,
    detached: true,
    env: { ...process.env, ...OS_CHOSEN_PORTS_ENV, MEDIASOUP_NUM_WORKERS: '1', TERM: 'xterm-256color', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitUntilUp(child, () => output);
    expect(output).toContain('Confero is up');
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    return output;
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
}

describe('log format', () => {
  it('on a terminal: coloured, human-readable lines, no JSON', async () => {
    const output = await runUntilUp(`script -qec ${JSON.stringify(server)} /dev/null`);
    expect(output).toMatch(/\x1b\[[0-9;]*m/); // ANSI colour
    expect(output).toMatch(/INFO.*Confero is up/);
    expect(output).not.toContain('{"level"');
  });

  it('piped: one JSON object per line', async () => {
    const output = await runUntilUp(server);
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    const up = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).find((r) => r.msg.startsWith('Confero is up'));
    expect(up?.level).toBe(30);
    expect(output).not.toMatch(/\x1b\[/);
  });

  it('LOG_FORMAT=json keeps JSON on a terminal', async () => {
    const output = await runUntilUp(`script -qec ${JSON.stringify(server)} /dev/null`, { LOG_FORMAT: 'json' });
    expect(output).toContain('"msg":"Confero is up');
  });
});
