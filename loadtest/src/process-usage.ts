/**
 * CPU time and memory of process trees, from Linux's procfs: what a browser bot costs (a Chromium is a
 * tree: browser, zygotes, GPU/utility/network services, one renderer per page) and what the server costs
 * in the capacity probe (Node and its mediasoup workers). PSS (proportional set size) splits shared pages among the processes sharing them,
 * so the sum over a tree does not count Chromium's shared code once per process.
 */
import fs from 'node:fs';

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** The command name (field 2), e.g. `mediasoup-worke` (the kernel keeps 15 characters). */
  comm: string;
  state: string;
  /** utime + stime, in seconds. */
  cpuSeconds: number;
}

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  return { pid, ppid: Number(fields[1]), comm, state: fields[0] ?? '?', cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
}

function allPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** A process exists and is not a zombie (exited, waiting to be reaped). */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** The roots and all their descendants that are running now. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z') continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const found = new Set<number>();
  const queue = roots.filter(isRunning);
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found];
}

/** CPU seconds (user + system) each process has used so far; processes that are gone are left out. */
export function cpuSecondsByPid(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) out.set(pid, stat.cpuSeconds);
  }
  return out;
}

/**
 * CPU seconds used between two readings, by the processes of the second (new ones from zero). A process
 * that exited in between is missed: browsers keep their processes for as long as their pages live.
 */
export function cpuSecondsBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Summed PSS of the processes, in bytes (0 for processes that are gone). */
export function pssBytes(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += match ? Number(match[1]) * 1024 : 0;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}
