/**
 * The pool against real mediasoup workers: start, routers with every codec, WebRtcServer candidates,
 * placement, and replacement after a worker process is killed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import fs from 'node:fs';
import * as mediasoup from 'mediasoup';
import { WorkerPool, type WorkerSlot } from '../src/media/worker-pool';
import { MEDIA_CODECS } from '../src/media/codecs';
import type { Config } from '../src/config';
import { silentLog, testConfig } from '../../testkit/config';
import { freePortBlock } from '../../testkit/ports';

type MediaConfig = Config['media'];

let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** A config whose workers take fixed ports RTC_BASE_PORT + i, from a block free right now (testkit/ports.ts). */
async function fixedPortConfig(workers: number): Promise<MediaConfig> {
  return testConfig({ MEDIASOUP_NUM_WORKERS: String(workers), RTC_BASE_PORT: String(await freePortBlock(workers)) }).media;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('WorkerPool', () => {
  it('starts the configured number of workers, each a live process', async () => {
    pool = await WorkerPool.create(testConfig({ MEDIASOUP_NUM_WORKERS: '2' }).media, silentLog);
    expect(pool.slots.map((s) => s.index)).toEqual([0, 1]);
    const pids = pool.slots.map((s) => s.worker.pid);
    expect(new Set(pids).size).toBe(2);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    const usage = await pool.resourceUsage();
    expect(usage).toHaveLength(2);
    expect(usage[0]!.usage.ru_maxrss).toBeGreaterThan(0);
  });

  it("runs workers in a session of their own, without mediasoup's signal listeners (the server orders shutdown)", async () => {
    // mediasoup itself adds one named onSignal per worker: the name the pool looks for.
    const raw = await mediasoup.createWorker({ logLevel: 'none' });
    const onSignal = (): boolean => process.listeners('SIGINT').some((listener) => listener.name === 'onSignal');
    expect(onSignal()).toBe(true);
    raw.close();
    expect(onSignal()).toBe(false);
    pool = await WorkerPool.create(testConfig({ MEDIASOUP_NUM_WORKERS: '1' }).media, silentLog);
    expect(onSignal()).toBe(false);
    expect(process.listeners('SIGTERM').some((listener) => listener.name === 'onSignal')).toBe(false);
    const pid = pool.slots[0]!.worker.pid;
    // /proc/<pid>/stat fields 5 and 6: process group and session — the worker leads both.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    expect([Number(fields[2]), Number(fields[3])]).toEqual([pid, pid]);
  });

  it('creates a router offering opus, VP8, VP9 and H264', async () => {
    pool = await WorkerPool.create(testConfig().media, silentLog);
    const router = await pool.leastLoaded().worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    const mimeTypes = router.rtpCapabilities.codecs!.map((c) => c.mimeType.toLowerCase());
    for (const mime of ['audio/opus', 'video/vp8', 'video/vp9', 'video/h264']) expect(mimeTypes).toContain(mime);
    // RTX is negotiated for each video codec, which NACK-based recovery needs.
    expect(mimeTypes.filter((m) => m === 'video/rtx').length).toBe(4);
  });

  it('gives WebRtcTransports ICE candidates on the configured IP and per-worker ports, UDP preferred', async () => {
    const config = await fixedPortConfig(2);
    pool = await WorkerPool.create(config, silentLog);
    for (const slot of pool.slots) {
      const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
      const transport = await router.createWebRtcTransport({ webRtcServer: slot.webRtcServer, preferUdp: true });
      const candidates = transport.iceCandidates.map((c) => ({ protocol: c.protocol, address: c.address, port: c.port }));
      const port = config.rtcBasePort + slot.index;
      expect(candidates).toEqual([
        { protocol: 'udp', address: '127.0.0.1', port },
        { protocol: 'tcp', address: '127.0.0.1', port },
      ]);
      expect(transport.iceCandidates[0]!.priority).toBeGreaterThan(transport.iceCandidates[1]!.priority);
      expect(slot.ports).toEqual([{ ip: '127.0.0.1', udp: port, tcp: port }]);
    }
  });

  it('with RTC_BASE_PORT=0 lets mediasoup pick free ports in RTC_MIN_PORT..RTC_MAX_PORT, and reports the ones bound', async () => {
    const config = testConfig({ MEDIASOUP_NUM_WORKERS: '2', RTC_BASE_PORT: '0' }).media;
    pool = await WorkerPool.create(config, silentLog);
    for (const slot of pool.slots) {
      const dump = await slot.webRtcServer.dump();
      expect(slot.ports).toEqual([{ ip: '127.0.0.1', udp: dump.udpSockets[0]!.port, tcp: dump.tcpServers[0]!.port }]);
      for (const port of [slot.ports[0]!.udp, slot.ports[0]!.tcp]) {
        expect(port).toBeGreaterThanOrEqual(config.rtcMinPort);
        expect(port).toBeLessThanOrEqual(config.rtcMaxPort);
      }
      const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
      const transport = await router.createWebRtcTransport({ webRtcServer: slot.webRtcServer });
      const candidates = transport.iceCandidates.map((c) => ({ protocol: c.protocol, port: c.port }));
      expect(candidates).toEqual([
        { protocol: 'udp', port: slot.ports[0]!.udp },
        { protocol: 'tcp', port: slot.ports[0]!.tcp },
      ]);
    }
    expect(new Set(pool.slots.map((slot) => slot.ports[0]!.udp)).size).toBe(2);
  });

  it('announces RTC_ANNOUNCED_ADDRESS in candidates while listening on the local IP', async () => {
    pool = await WorkerPool.create(testConfig({ RTC_ANNOUNCED_ADDRESS: '203.0.113.7' }).media, silentLog);
    const slot = pool.leastLoaded();
    const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    const transport = await router.createWebRtcTransport({ webRtcServer: slot.webRtcServer });
    expect(transport.iceCandidates.map((c) => c.address)).toEqual(['203.0.113.7', '203.0.113.7']);
  });

  it('places routers on the least-loaded worker', async () => {
    pool = await WorkerPool.create(testConfig({ MEDIASOUP_NUM_WORKERS: '2' }).media, silentLog);
    const first = pool.leastLoaded();
    const router = await first.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    expect(first.routers).toBe(1);
    const second = pool.leastLoaded();
    expect(second.index).not.toBe(first.index);
    router.close();
    expect(first.routers).toBe(0);
  });

  it('closes its worker processes before close() resolves, freeing the ports', async () => {
    const config = await fixedPortConfig(2);
    pool = await WorkerPool.create(config, silentLog);
    const pids = pool.slots.map((s) => s.worker.pid);
    await pool.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    pool = await WorkerPool.create(config, silentLog); // same ports, at once
    expect(pool.slots).toHaveLength(2);
  });

  it('fails clearly when a worker port is already taken', async () => {
    const config = await fixedPortConfig(1);
    pool = await WorkerPool.create(config, silentLog);
    await expect(WorkerPool.create(config, silentLog)).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ \(udp\+tcp\)/);
  });

  it('detects a killed worker and replaces it on the same ports', async () => {
    const config = await fixedPortConfig(2);
    pool = await WorkerPool.create(config, silentLog);
    const victim = pool.slots[1]!;
    const oldPid = victim.worker.pid;
    const died = once(pool, 'workerDied');
    const replaced = once(pool, 'workerReplaced') as Promise<[WorkerSlot]>;

    process.kill(oldPid, 'SIGKILL');
    const [deadSlot] = (await died) as [WorkerSlot, Error];
    expect(deadSlot.index).toBe(1);
    expect(pool.slots.map((s) => s.index)).toEqual([0]);

    const [fresh] = await replaced;
    expect(fresh.index).toBe(1);
    expect(fresh.worker.pid).not.toBe(oldPid);
    expect(alive(fresh.worker.pid)).toBe(true);
    expect(pool.slots.map((s) => s.index)).toEqual([0, 1]);

    const router = await fresh.worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    const transport = await router.createWebRtcTransport({ webRtcServer: fresh.webRtcServer });
    expect(transport.iceCandidates[0]!.port).toBe(config.rtcBasePort + 1);
  });
});
