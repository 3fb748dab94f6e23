/**
 * The C helpers of the forwarding section (bench/native/*.c): compiled with the system's `cc` at run
 * time into the run's scratch directory, keyed by a hash of their sources (nothing binary is committed),
 * and driven over a line protocol: the helper prints "ready <port>", answers each line on stdin with one
 * line of counters, and exits when stdin closes (or when the bench dies: PR_SET_PDEATHSIG).
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pinnedCommand, type PinningPlan } from './pinning';

const NATIVE_DIR = fileURLToPath(new URL('../../native/', import.meta.url));
const SHARED_HEADER = 'bench-io.h';
const READY_TIMEOUT_MS = 5_000;
const ANSWER_TIMEOUT_MS = 5_000;
const EXIT_TIMEOUT_MS = 2_000;

export type HelperName = 'rtp-feeder' | 'rtp-sink' | 'udp-relay';

/** Compiles the helper (once per source hash) and returns the executable's path. */
export async function compileHelper(name: HelperName, workDir: string): Promise<string> {
  const source = path.join(NATIVE_DIR, `${name}.c`);
  const hash = crypto.createHash('sha256');
  for (const file of [source, path.join(NATIVE_DIR, SHARED_HEADER)]) hash.update(fs.readFileSync(file));
  const binary = path.join(workDir, `${name}-${hash.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(workDir, { recursive: true });
  try {
    await promisify(execFile)('cc', ['-O2', '-Wall', '-o', binary, source]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`cannot compile bench/native/${name}.c with the system cc (install gcc): ${String(error)}\n${stderr}`);
  }
  return binary;
}

/** A running helper process. */
export class NativeHelper {
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #lines: string[] = [];
  readonly #waiters: (() => void)[] = [];
  #stderr = '';
  #exited = false;

  private constructor(
    child: ChildProcessByStdio<Writable, Readable, Readable>,
    readonly name: string,
  ) {
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.#lines.push(line);
      this.#wake();
    });
    child.stderr.on('data', (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-2000)));
    child.on('exit', () => {
      this.#exited = true;
      this.#wake();
    });
    child.stdin.on('error', () => undefined);
  }

  /** Starts `binary args…` (placed by the plan for its role) and waits for its "ready <port>". */
  static async start(
    binary: string,
    args: string[],
    plan: PinningPlan | undefined,
    role: 'load' | 'forwarder',
  ): Promise<{ helper: NativeHelper; port: number }> {
    const [command, ...rest] = pinnedCommand([binary, ...args], plan, role);
    const child = spawn(command!, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    const helper = new NativeHelper(child, path.basename(binary));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    try {
      const ready = await helper.#nextLine(READY_TIMEOUT_MS);
      const match = /^ready (\d+)$/.exec(ready);
      if (!match) throw new Error(`${helper.name} said ${JSON.stringify(ready)} instead of ready`);
      return { helper, port: Number(match[1]) };
    } catch (error) {
      await helper.stop();
      throw error;
    }
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Asks for the counters: the numbers of the answer line. */
  async counters(): Promise<number[]> {
    this.#child.stdin.write('report\n');
    const line = await this.#nextLine(ANSWER_TIMEOUT_MS);
    return line.split(' ').slice(1).map(Number);
  }

  /** Closes its stdin (it exits), and kills it if it has not within a moment. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.#child.stdin.end();
    const deadline = Date.now() + EXIT_TIMEOUT_MS;
    while (!this.#exited && Date.now() < deadline) await this.#wait(deadline - Date.now());
    if (!this.#exited) {
      this.#child.kill('SIGKILL');
      while (!this.#exited) await this.#wait(1000);
    }
  }

  async #nextLine(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#exited) throw new Error(`${this.name} exited: ${this.#stderr.trim() || 'no message'}`);
      if (Date.now() >= deadline) throw new Error(`${this.name} did not answer within ${timeoutMs} ms`);
      await this.#wait(deadline - Date.now());
    }
    return this.#lines.shift()!;
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
