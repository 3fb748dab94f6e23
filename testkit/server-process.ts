/**
 * The real server as a child process (`npm start`, `tsx server/src/main.ts`), for tests of what only a
 * process shows: signals, log output, exit codes. Started with OS_CHOSEN_PORTS_ENV it binds HTTP port 0,
 * and the port it got is read from its start-up line ("Confero is up: open http://127.0.0.1:PORT/",
 * logged at info).
 */
import type { ChildProcess } from 'node:child_process';
import { until } from './until';

const UP = /Confero is up: open https?:\/\/(?:\[[^\]]+\]|[^\s/:]+):(\d+)\//;

/** The HTTP port in a server's output once it has said it is up, else undefined. */
export function announcedHttpPort(output: string): number | undefined {
  const match = UP.exec(output);
  return match ? Number(match[1]) : undefined;
}

/**
 * Waits (bounded) until the child's output says it is up and resolves with its HTTP port; fails at once,
 * with the output, when the child exits first.
 */
export function waitUntilUp(child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<number> {
  return until(
    () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it was up:\n${output()}`);
      }
      return announcedHttpPort(output());
    },
    { timeoutMs, intervalMs: 100, what: () => `the server is up (output so far:\n${output()})` },
  );
}
