/**
 * Core placement with util-linux's taskset: the measured forwarder alone on one core, everything else
 * (feeder, sink, this Node process with the Confero control plane) on another, so the forwarder's CPU
 * figure is its own and the load generators never compete with it. With one core, or no taskset, nothing
 * is pinned and the result says so.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

/**
 * On a machine shared with other work (other users' processes, in cgroups of their own, where nice does
 * not reach), the feeder and sink must not be starved (a sink that sleeps for 100 ms overflows its socket
 * and reads as the forwarder's loss), nor the forwarder: all of them run SCHED_FIFO when allowed, the same
 * for the three systems. The kernel's RT throttling (sched_rt_runtime_us, 95% by default) still leaves
 * the rest of the core to others when a forwarder saturates; without chrt the forwarder gets nice -15.
 */
const FORWARDER_NICE = -15;
const LOAD_RT_PRIORITY = 10;

export interface PinningPlan {
  forwarderCore: number;
  othersCore: number;
  /** chrt works here: feeder and sink run SCHED_FIFO. */
  realtimeLoad: boolean;
}

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
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

/** No placement: everything at normal priority wherever the kernel puts it, and why. */
export function unpinned(why: string): Placement {
  return { plan: undefined, description: `not pinned: ${why}`, restore: async () => undefined };
}

/** Decides the plan and moves this Node process (all its threads) to the "others" core. */
export async function placeThisProcess(): Promise<Placement> {
  const cores = allowedCores(process.pid);
  if (!cores) return unpinned('taskset (util-linux) is not available');
  if (cores.length < 2) return unpinned(`this process may use only core ${cores.join(',')}`);
  const plan = { othersCore: cores[0]!, forwarderCore: cores[cores.length - 1]!, realtimeLoad: works('chrt', ['-f', String(LOAD_RT_PRIORITY), 'true']) };
  const niceWorks = works('nice', ['-n', String(FORWARDER_NICE), 'true']);
  await pinPid(process.pid, plan.othersCore);
  return {
    plan,
    description:
      `taskset: the measured forwarder (mediasoup worker of Confero or of the bare script, or the UDP relay) alone on core ${plan.forwarderCore}; ` +
      `the C feeder, the C sink and the bench's Node process (Confero's control plane, the bare script) on core ${plan.othersCore}. ` +
      (plan.realtimeLoad ? `Feeder and sink run SCHED_FIFO ${LOAD_RT_PRIORITY} (chrt); ` : 'Feeder and sink at normal priority (chrt refused); ') +
      (plan.realtimeLoad
        ? `the forwarder SCHED_FIFO ${LOAD_RT_PRIORITY} too, every thread (RT throttling caps it at 95% of its core). `
        : niceWorks
          ? `the forwarder at nice ${FORWARDER_NICE}, every thread. `
          : 'the forwarder at normal priority (nice refused). ') +
      `Other processes on the machine were not moved.`,
    restore: () => pinPid(process.pid, cores.join(',')),
  };
}

/** argv prefixed with taskset (and the role's priority) when there is a plan. */
export function pinnedCommand(argv: string[], plan: PinningPlan | undefined, role: 'load' | 'forwarder'): string[] {
  if (!plan) return argv;
  const core = String(role === 'forwarder' ? plan.forwarderCore : plan.othersCore);
  if (plan.realtimeLoad) return ['taskset', '-c', core, 'chrt', '-f', String(LOAD_RT_PRIORITY), ...argv];
  return role === 'forwarder' ? ['taskset', '-c', core, 'nice', '-n', String(FORWARDER_NICE), ...argv] : ['taskset', '-c', core, ...argv];
}

/** Moves every thread of a running process to `cores` (a core number or a taskset list). */
export async function pinPid(pid: number, cores: number | string): Promise<void> {
  await promisify(execFile)('taskset', ['-a', '-c', '-p', String(cores), String(pid)]);
}

/** A forwarder that was spawned by someone else (a mediasoup worker): its core and priority, every thread. */
export async function placeForwarder(pid: number, plan: PinningPlan | undefined): Promise<void> {
  if (!plan) return;
  await pinPid(pid, plan.forwarderCore);
  if (plan.realtimeLoad) {
    await promisify(execFile)('chrt', ['-a', '-f', '-p', String(LOAD_RT_PRIORITY), String(pid)]);
    return;
  }
  const threads = fs.readdirSync(`/proc/${pid}/task`);
  await promisify(execFile)('renice', ['-n', String(FORWARDER_NICE), '-p', ...threads]).catch(() => undefined);
}
