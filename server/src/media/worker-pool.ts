/**
 * The pool of mediasoup workers: one C++ process per core by default, each with one WebRtcServer so that
 * all its WebRTC transports share one UDP and one TCP port (base port + worker index). That keeps the
 * firewall/NAT story to two ports per worker instead of a port range. With RTC_BASE_PORT=0 mediasoup picks
 * free ports in RTC_MIN_PORT..RTC_MAX_PORT itself (binding is the claim, so servers sharing a host — test
 * runs — never collide); the slot then reports the ports it got.
 *
 * A worker that dies is replaced in the same slot (same ports) and `workerDied` is emitted so the layers
 * above can close the rooms it carried and let their peers rejoin. Those rejoins must not wait for the
 * replacement: new rooms go to a live worker (`live()`), and only when there is none (a one-worker pool)
 * does placement wait, bounded, for the replacement (`whenLive()`).
 */
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { announcedAddresses, hostPort, type ListenAddress } from './listen-addresses';

type MediaConfig = Config['media'];

export interface WorkerSlot {
  readonly index: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  /** What its WebRtcServer listens on, one entry per listen address, as bound. */
  readonly ports: ListenPorts[];
  /** Routers currently placed on this worker: the placement load. */
  routers: number;
}

/** The UDP and TCP port of one listen address (equal unless mediasoup chose them, RTC_BASE_PORT=0). */
export interface ListenPorts {
  ip: string;
  udp: number;
  tcp: number;
}

export interface WorkerPoolEvents {
  workerDied: [slot: WorkerSlot, error: Error];
  workerReplaced: [slot: WorkerSlot];
  replaceFailed: [index: number, error: Error];
}

const OWN_SESSION_WRAPPER = fileURLToPath(new URL('../../bin/worker-own-session.sh', import.meta.url));

/** Delay before respawning a dead worker, doubled per consecutive failure, so a crash loop can't spin. */
const RESPAWN_DELAY_MS = 200;
const RESPAWN_DELAY_MAX_MS = 10_000;

let logListenersInstalled = false;

/** Route mediasoup's Node-side logs (it uses `debug` otherwise) into our pino logger. */
function installLogListeners(log: Logger): void {
  if (logListenersInstalled) return;
  logListenersInstalled = true;
  mediasoup.setLogEventListeners({
    ondebug: undefined,
    onwarn: (namespace, text) => log.warn({ namespace }, text),
    onerror: (namespace, text, error) =>
      NOT_SERVER_ERRORS.some((pattern) => pattern.test(text)) ? log.warn({ namespace }, text) : log.error({ namespace, err: error }, text),
  });
}

/**
 * Worker lines mediasoup logs at error level that are no error of the server: every request the worker
 * rejects ("throwing MediaSoupTypeError: …" — a client can make it reject at will, a duplicate SSRC or a
 * consumer closed twice in a race; the rejection reaches the caller, which answers bad_request or logs
 * `internal` itself), and a write to its channel after the server closed it while shutting the worker
 * down (seen on Ctrl-C: "uv_try_write() failed, trying uv_write(): broken pipe"). A worker that really
 * loses its channel dies, and that is logged at error.
 */
const NOT_SERVER_ERRORS = [/\| throwing MediaSoup\w*Error: /, /uv_try_write\(\) failed, trying uv_write\(\): broken pipe/];

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #config: MediaConfig;
  readonly #log: Logger;
  readonly #slots: (WorkerSlot | undefined)[];
  /** The ports each slot's first worker bound: its replacements take the same ones. */
  readonly #ports: (ListenPorts[] | undefined)[];
  #closed = false;

  private constructor(config: MediaConfig, log: Logger) {
    super();
    this.#config = config;
    this.#log = log;
    this.#slots = new Array(config.numWorkers).fill(undefined);
    this.#ports = new Array(config.numWorkers).fill(undefined);
  }

  static async create(config: MediaConfig, log: Logger): Promise<WorkerPool> {
    installLogListeners(log);
    const pool = new WorkerPool(config, log);
    try {
      for (let index = 0; index < config.numWorkers; index++) {
        pool.#slots[index] = await pool.#spawn(index);
      }
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Slots that currently hold a live worker. */
  get slots(): WorkerSlot[] {
    return this.#slots.filter((slot): slot is WorkerSlot => slot !== undefined);
  }

  /**
   * The slots whose worker can take a router right now. A worker killed a moment ago may still sit in its
   * slot until mediasoup reports the death (the pipe's close or the process's exit): its `died`/`closed`
   * flags exclude it as soon as mediasoup knows.
   */
  live(): WorkerSlot[] {
    return this.slots.filter((slot) => !slot.worker.died && !slot.worker.closed);
  }

  /** The live slot with the fewest routers (ties → lowest index). */
  leastLoaded(): WorkerSlot {
    const live = this.live();
    if (live.length === 0) throw new Error('no mediasoup worker is available');
    return live.reduce((best, slot) => (slot.routers < best.routers ? slot : best));
  }

  /**
   * The least-loaded live slot; when no worker is live (every worker died at once, or a one-worker pool)
   * waits for the first replacement, up to `timeoutMs`, so a rejoin right after a crash is answered
   * rather than refused into the client's backoff.
   */
  async whenLive(timeoutMs: number): Promise<WorkerSlot> {
    if (this.live().length > 0) return this.leastLoaded();
    if (this.#closed) throw new Error('the worker pool is closed');
    await new Promise<void>((resolve, reject) => {
      const onReplaced = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('workerReplaced', onReplaced);
        reject(new Error(`no mediasoup worker became available within ${timeoutMs} ms`));
      }, timeoutMs);
      this.once('workerReplaced', onReplaced);
    });
    return this.leastLoaded();
  }

  async #spawn(index: number): Promise<WorkerSlot> {
    const known = this.#ports[index];
    // The wrapper puts the worker in its own session: signals to our process group (Ctrl-C, a supervisor
    // stopping the group) must not kill the workers before the server has told its peers `shutdown`.
    process.env.CONFERO_MEDIASOUP_WORKER = this.#config.workerBin ?? mediasoup.workerBin;
    const worker = await mediasoup.createWorker({
      logLevel: this.#config.workerLogLevel,
      workerBin: OWN_SESSION_WRAPPER,
      appData: { index },
    });
    dropMediasoupSignalHandlers();
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({ listenInfos: webRtcListenInfos(this.#config, index, known) });
    } catch (error) {
      worker.close();
      const where = this.#config.listen.map((entry, i) => listenPlace(this.#config, entry.ip, index, known?.[i])).join(' and ');
      throw new Error(`worker ${index}: cannot listen on ${where} (udp+tcp): ${String(error)}`);
    }
    const ports = known ?? (await boundPorts(webRtcServer, this.#config.listen));
    this.#ports[index] = ports;
    const slot: WorkerSlot = { index, worker, webRtcServer, ports, routers: 0 };
    worker.observer.on('newrouter', (router) => {
      slot.routers++;
      router.observer.once('close', () => slot.routers--);
    });
    worker.once('died', (error) => this.#onDied(slot, error));
    const candidates = announcedAddresses(this.#config.listen).map((address, i) => {
      const { udp, tcp } = ports[i]!;
      return udp === tcp ? `${hostPort(address, udp)} (udp+tcp)` : `${hostPort(address, udp)} (udp), ${hostPort(address, tcp)} (tcp)`;
    });
    this.#log.info({ worker: index, pid: worker.pid, port: ports[0]!.udp }, `mediasoup worker started; ICE candidates carry ${candidates.join(', ')}`);
    return slot;
  }

  #onDied(slot: WorkerSlot, error: Error): void {
    if (this.#closed) return;
    this.#log.error({ worker: slot.index, pid: slot.worker.pid, err: error }, 'mediasoup worker died, replacing it');
    this.#slots[slot.index] = undefined;
    this.emit('workerDied', slot, error);
    void this.#replace(slot.index, RESPAWN_DELAY_MS);
  }

  async #replace(index: number, delayMs: number): Promise<void> {
    await delay(delayMs);
    if (this.#closed) return;
    try {
      const slot = await this.#spawn(index);
      if (this.#closed) {
        slot.worker.close();
        return;
      }
      this.#slots[index] = slot;
      this.emit('workerReplaced', slot);
    } catch (error) {
      this.#log.error({ worker: index, err: error }, 'replacing mediasoup worker failed, retrying');
      this.emit('replaceFailed', index, error as Error);
      void this.#replace(index, Math.min(delayMs * 2, RESPAWN_DELAY_MAX_MS));
    }
  }

  /** Per-worker CPU and memory, read from the worker processes themselves. */
  async resourceUsage(): Promise<{ index: number; pid: number; usage: types.WorkerResourceUsage }[]> {
    return Promise.all(this.slots.map(async (slot) => ({ index: slot.index, pid: slot.worker.pid, usage: await slot.worker.getResourceUsage() })));
  }

  /**
   * Closes every worker and resolves once their processes are gone (bounded wait), so that the ports
   * are free again when this resolves — a restart on the same ports must not race the old workers.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.slots.map((slot) => slot.worker);
    this.#slots.fill(undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.subprocessClosed) return resolve();
            const timer = setTimeout(resolve, 5000);
            worker.once('subprocessclose', () => {
              clearTimeout(timer);
              resolve();
            });
            worker.close();
          }),
      ),
    );
  }
}

/**
 * One UDP and one TCP listen info per listen address: on `known` ports (a replacement's), else on the
 * worker's port RTC_BASE_PORT + index, else (RTC_BASE_PORT=0) on a free port mediasoup picks in the range.
 */
function webRtcListenInfos(config: MediaConfig, index: number, known: ListenPorts[] | undefined): types.TransportListenInfo[] {
  return config.listen.flatMap(({ ip, announcedAddress, ipv6Only }, i) =>
    (['udp', 'tcp'] as const).map((protocol) => {
      const port = known?.[i]?.[protocol] ?? (config.rtcBasePort === 0 ? undefined : config.rtcBasePort + index);
      return {
        protocol,
        ip,
        ...(port === undefined ? { portRange: { min: config.rtcMinPort, max: config.rtcMaxPort } } : { port }),
        ...(announcedAddress ? { announcedAddress } : {}),
        ...(ipv6Only ? { flags: { ipv6Only: true } } : {}),
      };
    }),
  );
}

/** `ip:port`, or `ip:(a free port of min–max)` when mediasoup is to choose; for errors. */
function listenPlace(config: MediaConfig, ip: string, index: number, known: ListenPorts | undefined): string {
  if (known) return known.udp === known.tcp ? hostPort(ip, known.udp) : `${hostPort(ip, known.udp)}/${known.tcp}`;
  if (config.rtcBasePort !== 0) return hostPort(ip, config.rtcBasePort + index);
  return `${ip} (a free port of ${config.rtcMinPort}–${config.rtcMaxPort})`;
}

/** The ports a WebRtcServer really bound, per listen address (its dump lists sockets in listen-info order). */
async function boundPorts(webRtcServer: types.WebRtcServer, listen: ListenAddress[]): Promise<ListenPorts[]> {
  const dump = await webRtcServer.dump();
  return listen.map(({ ip }, i) => ({ ip, udp: dump.udpSockets[i]!.port, tcp: dump.tcpServers[i]!.port }));
}

/**
 * mediasoup adds a SIGINT and a SIGTERM listener per worker that close the worker at once. On a stop the
 * server closes its rooms first (peers are told `shutdown`) and then the pool; a worker closed under those
 * rooms meanwhile makes them `worker_died` and the worker log broken-pipe errors. The pool owns its
 * workers' lifetime, so those listeners go (found by their name, onSignal, in mediasoup 3.27). Without any
 * handler of ours, Node's default still ends the process and the workers exit when their pipes close.
 */
function dropMediasoupSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (listener.name === 'onSignal') process.removeListener(signal, listener);
    }
  }
}
