/** `npm run loadtest`'s CLI as a child process, as a user runs it, on the project's Node. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'node_modules', '.bin');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Bounded: SIGTERM after this long, then the CLI's own bounded teardown. */
  timeoutMs: number;
  /** Environment on top of this process's (an undefined value removes a variable). */
  env?: Record<string, string | undefined>;
  /** Gets the child as it starts, e.g. to interrupt it. */
  onStart?: (child: ChildProcess) => void;
}

export function runCli(args: string[], { timeoutMs, env = {}, onStart }: CliRunOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(bin, 'tsx'), ['loadtest/src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, ...env },
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}
