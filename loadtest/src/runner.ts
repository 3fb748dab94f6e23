/**
 * Runs one load test: starts the planned bots at the ramp rate, waits until every join settled (or timed
 * out), holds for the duration, then closes everything within a bounded teardown. Meanwhile it polls
 * every bot's snapshot and the server's /metrics about once a second and builds the time series.
 *
 * The runner never throws for what bots or the server do: a bot that fails is a measurement. It stops by
 * itself (ramp + join timeout + duration + teardown timeout) and early when `signal` aborts.
 */
import type { Bot, BotFactory, BotSnapshot } from './bots/types';
import type { ScrapeOutcome, ServerCost } from './metrics-scrape';
import type { LoadTestOptions } from './options';
import { newRunId, planBots, type PlannedBot } from './plan';
import { lossPct } from './stats';
import { setTimeout as delay } from 'node:timers/promises';

export type Phase = 'ramp' | 'hold' | 'teardown';

export interface SeriesPoint {
  /** Seconds since the run started. */
  t: number;
  phase: Phase;
  launched: number;
  /** Bots in state 'joined' right now. */
  joined: number;
  /** Joins that failed so far, plus joined bots that failed later. */
  failed: number;
  /** Inbound media since the previous point: all bots together, and per receiving bot. */
  inboundKbps: number;
  bitrateKbps: number;
  /** Loss since the previous point over all received streams (null: no packets expected). */
  lossPct: number | null;
  server: ServerCost | null;
}

export interface BotRecord {
  planned: PlannedBot;
  launchedAt?: number;
  /** The join's outcome: start() resolved, rejected, or the join timeout passed first. */
  join?: { ok: boolean; at: number; error?: string };
  /** A joined bot that later reported 'failed' or 'closed'. */
  droppedError?: string;
  /** The last snapshot (taken at the end of the hold for the report) and when. */
  snapshot?: BotSnapshot;
  snapshotAt?: number;
}

export interface RunRecord {
  runId: string;
  startedAt: number;
  endedAt: number;
  /** Seconds since the start when the hold began and ended (null: never reached). */
  holdStartT: number | null;
  holdEndT: number | null;
  interrupted: boolean;
  bots: BotRecord[];
  series: SeriesPoint[];
  server: { available: true } | { available: false; reason: string };
  teardown: { seconds: number; unfinished: string[] };
}

export interface MetricsSource {
  scrape(): Promise<ScrapeOutcome>;
  readonly status: RunRecord['server'];
}

export interface Progress {
  phase: Phase;
  elapsedS: number;
  planned: number;
  launched: number;
  holdElapsedS: number;
  holdS: number;
  point: SeriesPoint;
  server: RunRecord['server'];
}

export interface RunnerConfig {
  options: Pick<
    LoadTestOptions,
    'wsUrl' | 'rooms' | 'peersPerRoom' | 'publishersPerRoom' | 'audio' | 'video' | 'simulcast' | 'ramp' | 'durationS' | 'joinTimeoutS'
  >;
  factory: BotFactory;
  metrics?: MetricsSource | null;
  signal?: AbortSignal;
  runId?: string;
  pollIntervalMs?: number;
  /** Bound on closing the bots, and again on closing the factory (browsers). */
  teardownTimeoutMs?: number;
  onProgress?: (progress: Progress) => void;
  log?: (line: string) => void;
}

/** Waits `ms`, or less when the run is stopped: an abort ends the wait (it resolves; the loops check the signal). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

/** Resolves true when `promise` settles within `ms`, false otherwise (the promise is left running). */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text || 'unknown error';
}

/** Join failures logged one by one; the rest only show in the summary's counts (a dead server fails them all). */
const MAX_FAILURES_LOGGED = 10;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export class LoadTestRunner {
  private readonly runId: string;
  private readonly records: BotRecord[];
  private readonly handles = new Map<BotRecord, Bot>();
  private readonly series: SeriesPoint[] = [];
  /** Per bot and stream: the counters at the previous point, for per-interval deltas. */
  private readonly lastCounters = new Map<string, { packets: number; bytes: number; lost: number }>();
  private phase: Phase = 'ramp';
  private startedAt = 0;
  private lastPointAt = 0;
  private holdStartedAt: number | null = null;
  private holdEndedAt: number | null = null;
  private latestCost: ServerCost | null = null;
  private readonly pollMs: number;
  private failuresLogged = 0;

  constructor(private readonly config: RunnerConfig) {
    this.runId = config.runId ?? newRunId();
    this.records = planBots(config.options, this.runId).map((planned) => ({ planned }));
    this.pollMs = config.pollIntervalMs ?? 1000;
  }

  get id(): string {
    return this.runId;
  }

  async run(): Promise<RunRecord> {
    const { options, signal } = this.config;
    this.startedAt = this.lastPointAt = Date.now();
    const stopSampling = new AbortController();
    const sampling = this.sampleLoop(stopSampling.signal);

    await this.launchAll();
    await this.waitForJoins();
    if (signal?.aborted) {
      // Joins still in flight end here; what the bot says later (e.g. "closed while joining") is ignored.
      for (const r of this.records) if (r.launchedAt !== undefined && !r.join) r.join = { ok: false, at: Date.now(), error: 'interrupted while joining' };
    } else {
      this.phase = 'hold';
      this.holdStartedAt = Date.now();
      await sleep(options.durationS * 1000, signal);
      this.holdEndedAt = Date.now();
    }
    stopSampling.abort();
    await sampling;
    // The point the report's bots and totals come from: every bot as it was at the end of the hold.
    await this.sample();
    this.phase = 'teardown';
    const teardown = await this.teardown();
    const t = (at: number | null) => (at === null ? null : (at - this.startedAt) / 1000);
    return {
      runId: this.runId,
      startedAt: this.startedAt,
      endedAt: Date.now(),
      holdStartT: t(this.holdStartedAt),
      holdEndT: t(this.holdEndedAt),
      interrupted: signal?.aborted ?? false,
      bots: this.records,
      series: this.series,
      server: this.config.metrics?.status ?? { available: false, reason: 'metrics not scraped' },
      teardown,
    };
  }

  private async launchAll(): Promise<void> {
    const { options, signal } = this.config;
    const gapMs = 1000 / options.ramp;
    for (const [index, record] of this.records.entries()) {
      // Scheduled from the start, not from the previous launch, so slow create() calls do not slow the ramp.
      await sleep(this.startedAt + index * gapMs - Date.now(), signal);
      if (signal?.aborted) return;
      this.launch(record);
    }
  }

  private launch(record: BotRecord): void {
    const { factory, options, log } = this.config;
    record.launchedAt = Date.now();
    const name = record.planned.spec.name;
    const settle = (ok: boolean, error?: string) => {
      if (record.join) return;
      // Failures are counted by reason: a bot that names itself in its error would make every reason unique.
      const reason = (error ?? 'failed').startsWith(`${name}: `) ? error!.slice(name.length + 2) : (error ?? 'failed');
      record.join = ok ? { ok, at: Date.now() } : { ok, at: Date.now(), error: reason };
      if (!ok && ++this.failuresLogged <= MAX_FAILURES_LOGGED) {
        log?.(`${name}: join failed: ${reason}${this.failuresLogged === MAX_FAILURES_LOGGED ? ' (further failures are only counted)' : ''}`);
      }
    };
    let bot: Bot;
    try {
      bot = factory.create(record.planned.spec);
    } catch (error) {
      return settle(false, message(error));
    }
    this.handles.set(record, bot);
    const timeoutS = options.joinTimeoutS;
    const timer = setTimeout(() => settle(false, `join timeout: not joined within ${timeoutS} s`), timeoutS * 1000);
    let started: Promise<void>;
    try {
      started = Promise.resolve(bot.start());
    } catch (error) {
      started = Promise.reject(error);
    }
    started
      .then(
        () => settle(true),
        (error: unknown) => settle(false, message(error)),
      )
      .finally(() => clearTimeout(timer));
  }

  /** Bounded by the join timeout: every launched bot settles by then. */
  private async waitForJoins(): Promise<void> {
    const { signal } = this.config;
    while (!signal?.aborted && this.records.some((r) => r.launchedAt !== undefined && !r.join)) {
      await sleep(Math.min(this.pollMs, 100), signal);
    }
  }

  private async sampleLoop(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      const began = Date.now();
      await this.sample();
      await sleep(this.pollMs - (Date.now() - began), stop);
    }
  }

  private async sample(): Promise<void> {
    const scrape = this.scrape();
    let inboundBytes = 0;
    let packets = 0;
    let lost = 0;
    let receiving = 0;
    for (const [record, bot] of this.handles) {
      let snapshot: BotSnapshot;
      try {
        snapshot = bot.snapshot();
      } catch (error) {
        this.config.log?.(`${record.planned.spec.name}: snapshot failed: ${message(error)}`);
        continue;
      }
      record.snapshot = snapshot;
      record.snapshotAt = Date.now();
      if (record.join?.ok && !record.droppedError && (snapshot.state === 'failed' || snapshot.state === 'closed')) {
        record.droppedError = snapshot.error ?? `bot ${snapshot.state}`;
        this.config.log?.(`${record.planned.spec.name}: ${snapshot.state} after joining: ${record.droppedError}`);
      }
      const streams = Array.isArray(snapshot.streams) ? snapshot.streams : [];
      if (streams.length > 0) receiving++;
      for (const stream of streams) {
        const key = `${record.planned.spec.name}/${stream.peerId}/${stream.kind}`;
        const now = { packets: num(stream.packets), bytes: num(stream.bytes), lost: num(stream.lost) };
        const before = this.lastCounters.get(key) ?? { packets: 0, bytes: 0, lost: 0 };
        // Counters that went down belong to a new consumer (a rejoin): count them from zero.
        const reset = now.packets < before.packets || now.bytes < before.bytes;
        const base = reset ? { packets: 0, bytes: 0, lost: 0 } : before;
        inboundBytes += now.bytes - base.bytes;
        packets += now.packets - base.packets;
        lost += Math.max(0, now.lost - base.lost);
        this.lastCounters.set(key, now);
      }
    }
    await scrape;
    const at = Date.now();
    const seconds = Math.max(0.001, (at - this.lastPointAt) / 1000);
    this.lastPointAt = at;
    const inboundKbps = (inboundBytes * 8) / 1000 / seconds;
    this.series.push({
      t: (at - this.startedAt) / 1000,
      phase: this.phase,
      launched: this.records.filter((r) => r.launchedAt !== undefined).length,
      joined: this.records.filter((r) => r.join?.ok && r.snapshot?.state === 'joined').length,
      failed: this.records.filter((r) => (r.join && !r.join.ok) || r.droppedError).length,
      inboundKbps,
      bitrateKbps: receiving > 0 ? inboundKbps / receiving : 0,
      lossPct: lossPct(packets, lost),
      server: this.latestCost,
    });
    this.latestCost = null;
    this.report();
  }

  private async scrape(): Promise<void> {
    const outcome = await this.config.metrics?.scrape();
    if (outcome?.ok) this.latestCost = outcome.cost;
  }

  private report(): void {
    const point = this.series[this.series.length - 1];
    if (!point || !this.config.onProgress) return;
    const now = Date.now();
    this.config.onProgress({
      phase: this.phase,
      elapsedS: (now - this.startedAt) / 1000,
      planned: this.records.length,
      launched: point.launched,
      holdElapsedS: this.holdStartedAt === null ? 0 : ((this.holdEndedAt ?? now) - this.holdStartedAt) / 1000,
      holdS: this.config.options.durationS,
      point,
      server: this.config.metrics?.status ?? { available: false, reason: 'metrics not scraped' },
    });
  }

  private async teardown(): Promise<RunRecord['teardown']> {
    const began = Date.now();
    const limit = this.config.teardownTimeoutMs ?? 15_000;
    const unfinished: string[] = [];
    const closing = [...this.handles].map(async ([record, bot]) => {
      const name = record.planned.spec.name;
      let closed: Promise<void>;
      try {
        closed = Promise.resolve(bot.close());
      } catch (error) {
        closed = Promise.reject(error);
      }
      if (!(await within(closed, limit))) unfinished.push(name);
    });
    await Promise.all(closing);
    let factoryClosed: Promise<void>;
    try {
      factoryClosed = Promise.resolve(this.config.factory.close());
    } catch (error) {
      factoryClosed = Promise.reject(error);
    }
    if (!(await within(factoryClosed, limit))) unfinished.push('bot factory');
    if (unfinished.length) this.config.log?.(`teardown: still closing after ${limit / 1000} s: ${unfinished.join(', ')}`);
    return { seconds: (Date.now() - began) / 1000, unfinished };
  }
}
