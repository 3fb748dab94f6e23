import type { FastifyInstance } from 'fastify';
import type { WorkerPool } from '../media/worker-pool';

/**
 * /healthz answers 200 while at least one worker lives (the process can still serve), with how many of
 * the configured workers are up, so a load balancer sees degradation before an outage. It also names the
 * Node runtime, so an operator (and the runtime test) can see what the server really runs on.
 *
 * /readyz is the stricter question a load balancer or orchestrator asks before sending new people here:
 * 200 only when every configured worker is up and the server is not shutting down, 503 otherwise.
 */
export interface HealthDeps {
  pool: WorkerPool;
  expectedWorkers: number;
  shuttingDown: () => boolean;
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/readyz', async (_request, reply) => {
    const live = deps.pool.slots.length;
    const reason = deps.shuttingDown() ? 'shutting down' : live < deps.expectedWorkers ? `${live} of ${deps.expectedWorkers} workers up` : undefined;
    return reply.code(reason ? 503 : 200).send({ ready: !reason, ...(reason ? { reason } : {}) });
  });
  app.get('/healthz', async (_request, reply) => {
    const workers = deps.pool.slots.map((slot) => ({ index: slot.index, pid: slot.worker.pid, routers: slot.routers }));
    const status = workers.length === 0 ? 'down' : workers.length < deps.expectedWorkers ? 'degraded' : 'ok';
    return reply.code(workers.length === 0 ? 503 : 200).send({ status, workers, expectedWorkers: deps.expectedWorkers, node: process.versions.node });
  });
}
