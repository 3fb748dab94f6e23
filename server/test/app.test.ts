/** The HTTP app over a real socket with a real worker pool. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { once } from 'node:events';
import { buildApp } from '../src/app';
import { WorkerPool } from '../src/media/worker-pool';
import { silentLog, testConfig } from '../../testkit/config';

let app: FastifyInstance;
let pool: WorkerPool;
let base: string;

beforeAll(async () => {
  const config = testConfig({ MEDIASOUP_NUM_WORKERS: '2', HTTP_PORT: '0' });
  pool = await WorkerPool.create(config.media, silentLog);
  ({ app } = await buildApp({ config, log: silentLog, pool }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await pool.close();
});

describe('HTTP app', () => {
  it('answers /healthz with the live workers', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; workers: { pid: number }[] };
    expect(body.status).toBe('ok');
    expect(body.workers.map((w) => w.pid).sort()).toEqual(pool.slots.map((s) => s.worker.pid).sort());
  });

  it('reports degraded (and not ready) while a killed worker is being replaced, then ok and ready again', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const replaced = once(pool, 'workerReplaced');
    const died = once(pool, 'workerDied');
    process.kill(pool.slots[0]!.worker.pid, 'SIGKILL');
    await died;
    const during = (await (await fetch(`${base}/healthz`)).json()) as { status: string };
    expect(during.status).toBe('degraded');
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reason: '1 of 2 workers up' });
    await replaced;
    const after = (await (await fetch(`${base}/healthz`)).json()) as { status: string };
    expect(after.status).toBe('ok');
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ready: true });
  });

  it('serves a page at /', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('Confero');
  });
});
