/**
 * Core placement with util-linux's taskset: the measured forwarder alone on one core, everything else
 * (feeder, sink, this Node process with the Confero control plane) on another, so the forwarder's CPU
 * figure is its own and the load generators never compete with it. With one core, or no taskset, nothing
 * is pinned and the result says so.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

export interface PinningPlan {
  forwarderCore: number;
  othersCore: number;
}

/** Cores this process may run on, or undefined when taskset is unavailable. */
function allowedCores(pid: number): number[] | undefined {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const list = out.slice(out.lastIndexOf(':') + 1).trim();
    return list.split(',').flatMap((part) => {
      const [from, to] = part.split('-').map(Number);
      return to === undefined ? [from!] : Array.from({ length: to - from! + 1 }, (_, i) => from! + i);
    });
  } catch {
    return undefined;
  }
}

export interface Placement {
  plan: PinningPlan | undefined;
  /** For the result's `pinning` field. */
  description: string;
  /** Puts this process back on the cores it had. */
  restore(): Promise<void>;
}

/** Decides the plan and moves this Node process (all its threads) to the "others" core. */
export async function placeThisProcess(): Promise<Placement> {
  const cores = allowedCores(process.pid);
  if (!cores) return { plan: undefined, description: 'not pinned: taskset (util-linux) is not available', restore: async () => undefined };
  if (cores.length < 2) {
    return { plan: undefined, description: `not pinned: this process may use only core ${cores.join(',')}`, restore: async () => undefined };
  }
  const plan = { othersCore: cores[0]!, forwarderCore: cores[cores.length - 1]! };
  await pinPid(process.pid, plan.othersCore);
  return {
    plan,
    description:
      `taskset: the measured forwarder (mediasoup worker of Confero or of the bare script, or the UDP relay) alone on core ${plan.forwarderCore}; ` +
      `the C feeder, the C sink and the bench's Node process (Confero's control plane, the bare script) on core ${plan.othersCore}. ` +
      `Other processes on the machine were not moved.`,
    restore: () => pinPid(process.pid, cores.join(',')),
  };
}

/** argv prefixed with taskset when a core is given. */
export function pinnedCommand(argv: string[], core: number | undefined): string[] {
  return core === undefined ? argv : ['taskset', '-c', String(core), ...argv];
}

/** Moves every thread of a running process to `cores` (a core number or a taskset list). */
export async function pinPid(pid: number, cores: number | string): Promise<void> {
  await promisify(execFile)('taskset', ['-a', '-c', '-p', String(cores), String(pid)]);
}
