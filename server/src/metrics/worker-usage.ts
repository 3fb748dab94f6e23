/**
 * CPU and memory of each live mediasoup worker process. CPU comes from the worker itself
 * (getResourceUsage: one request per worker); memory from /proc/<pid>/status VmRSS, because
 * getResourceUsage only knows ru_maxrss — the peak, which never goes down.
 */
import fs from 'node:fs';
import type { types } from 'mediasoup';
import type { WorkerPool } from '../media/worker-pool';

export interface WorkerSample {
  index: number;
  pid: number;
  /** User + system CPU seconds; undefined when the worker did not answer (dying, or hung). */
  cpuSeconds: number | undefined;
  /** Current resident set size; undefined when it could not be read. */
  rssBytes: number | undefined;
}

/** A hung worker must not hold a scrape beyond Prometheus's own scrape timeout (10 s by default). */
const USAGE_TIMEOUT_MS = 2000;

const HAS_PROC = fs.existsSync('/proc/self/status');

/** VmRSS of a process in bytes, or undefined (process gone, or no /proc). */
export async function readVmRssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await fs.promises.readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function usageOf(worker: types.Worker): Promise<types.WorkerResourceUsage | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), USAGE_TIMEOUT_MS)));
  try {
    return await Promise.race([worker.getResourceUsage(), timeout]);
  } catch {
    return undefined; // closed or died between listing and asking: it is simply not live any more
  } finally {
    clearTimeout(timer);
  }
}

async function sampleWorker(slot: WorkerPool['slots'][number]): Promise<WorkerSample> {
  const { index, worker } = slot;
  const [usage, vmRss] = await Promise.all([usageOf(worker), HAS_PROC ? readVmRssBytes(worker.pid) : undefined]);
  // Without /proc (not Linux) the peak is the best there is; libuv reports ru_maxrss in kilobytes.
  const rssBytes = HAS_PROC ? vmRss : usage && usage.ru_maxrss * 1024;
  return { index, pid: worker.pid, cpuSeconds: usage && (usage.ru_utime + usage.ru_stime) / 1000, rssBytes };
}

/**
 * Samples every live worker. Calls made while a sample is in flight share it, so the CPU and RSS
 * collectors of one scrape (which prom-client runs concurrently) cost one request per worker, not two.
 */
export function workerSampler(pool: WorkerPool): () => Promise<WorkerSample[]> {
  let inFlight: Promise<WorkerSample[]> | undefined;
  return () => {
    inFlight ??= Promise.all(pool.slots.map(sampleWorker)).finally(() => (inFlight = undefined));
    return inFlight;
  };
}
