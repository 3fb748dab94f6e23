/**
 * Per-worker cost: CPU seconds (a counter, so rate() works) and current RSS, one series per live worker
 * labelled with its index and pid. A dead worker's series disappear; its replacement starts new ones
 * under its own pid, so a counter reset is never mistaken for the same process.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerPool } from '../media/worker-pool';
import { workerSampler } from './worker-usage';

export function registerWorkerMetrics(registry: Registry, pool: WorkerPool): void {
  const sample = workerSampler(pool);
  new Counter({
    name: 'confero_worker_cpu_seconds_total',
    help: 'User + system CPU seconds used by each live mediasoup worker process.',
    labelNames: ['worker', 'pid'] as const,
    registers: [registry],
    async collect() {
      const samples = await sample();
      // The value is the process's own running total: start from scratch each scrape and drop dead workers.
      this.reset();
      for (const { index, pid, cpuSeconds } of samples) {
        if (cpuSeconds !== undefined) this.inc({ worker: String(index), pid: String(pid) }, cpuSeconds);
      }
    },
  });
  new Gauge({
    name: 'confero_worker_rss_bytes',
    help: 'Current resident set size of each live mediasoup worker process (VmRSS).',
    labelNames: ['worker', 'pid'] as const,
    registers: [registry],
    async collect() {
      const samples = await sample();
      this.reset();
      for (const { index, pid, rssBytes } of samples) {
        if (rssBytes !== undefined) this.set({ worker: String(index), pid: String(pid) }, rssBytes);
      }
    },
  });
}
