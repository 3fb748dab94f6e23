/**
 * The run's results in numbers (the `summary` of report.json), the thresholds that set the exit code,
 * and the table printed at the end. Everything comes from the runner's record: each bot's snapshot at
 * the end of the hold, and the sampled series.
 */
import type { StreamStats } from '../bots/types';
import type { LoadTestOptions, Thresholds } from '../options';
import type { BotRecord, RunRecord } from '../runner';
import { lossPct, mean, meanMax, percentile, percentiles, type MeanMax, type Percentiles } from '../stats';

export interface Spread {
  mean: number;
  p95: number;
  max: number;
}

export interface ThresholdResult {
  /** The flag that set it, e.g. `--max-loss`. */
  name: string;
  limit: number;
  actual: number | null;
  unit: string;
  passed: boolean;
  /** Why it failed when there was nothing to measure. */
  note?: string;
}

export interface StreamGap {
  room: string;
  subscriber: string;
  publisher: string;
  kind: 'audio' | 'video';
}

export interface Summary {
  planned: number;
  attempted: number;
  joined: number;
  failed: number;
  /** Of the joined: those that later failed or closed by themselves (their reasons start "after join:"). */
  droppedAfterJoin: number;
  failures: Record<string, number>;
  /** WebSocket open → first remote media, for joined bots that had remote publishers. */
  joinMs: (Percentiles & { samples: number }) | null;
  /** Bots that had remote publishers but received no media (no firstMediaAt). */
  withoutMedia: number;
  lossPct: number | null;
  worstStreamLossPct: number | null;
  /** Mean inbound bitrate per receiving bot, from its first media to the end of the hold. */
  bitrateKbps: number | null;
  jitterMs: Spread | null;
  rttMs: Spread | null;
  /** Browser bots only; null when no bot measures freezes. */
  freezes: { count: number; totalMs: number } | null;
  streams: { expected: number; received: number; byRoom: { room: string; expected: number; received: number }[]; missing: StreamGap[] };
  /** Mean over the hold (the whole run if there was none) and max over the run; null without /metrics. */
  serverCpuPct: { node: MeanMax | null; workers: MeanMax | null; total: MeanMax | null } | null;
  serverRssMb: { node: number | null; workers: number | null; total: number | null } | null;
  server: RunRecord['server'];
  rampS: number | null;
  holdS: number | null;
  interrupted: boolean;
  thresholds: ThresholdResult[];
  passed: boolean;
}

const MISSING_LISTED = 50;

function spread(values: number[]): Spread | null {
  const m = mean(values);
  return m === null ? null : { mean: m, p95: percentile(values, 95)!, max: Math.max(...values.filter(Number.isFinite)) };
}

const kindsOf = (r: BotRecord): ('audio' | 'video')[] => {
  const p = r.planned.spec.publish;
  return p ? [...(p.audio ? ['audio' as const] : []), ...(p.video ? ['video' as const] : [])] : [];
};

/** Bots that joined and stayed: the ones that send and should receive. */
const present = (r: BotRecord) => r.join?.ok === true && !r.droppedError;

/** What a present bot should receive: how many remote streams, and when the first remote publisher joined. */
export interface Expectation {
  streams: number;
  firstPublisherJoinedAt?: number;
}

function streamCheck(bots: BotRecord[]): { expectedByBot: Map<BotRecord, Expectation>; streams: Summary['streams'] } {
  const expectedByBot = new Map<BotRecord, Expectation>();
  const byRoom = new Map<string, { room: string; expected: number; received: number }>();
  const missing: StreamGap[] = [];
  let expected = 0;
  let received = 0;
  for (const subscriber of bots.filter(present)) {
    const room = subscriber.planned.spec.room;
    const roomEntry = byRoom.get(room) ?? { room, expected: 0, received: 0 };
    byRoom.set(room, roomEntry);
    const got = subscriber.snapshot?.streams ?? [];
    let mine = 0;
    let firstPublisherJoinedAt: number | undefined;
    for (const publisher of bots) {
      if (publisher === subscriber || publisher.planned.spec.room !== room || !present(publisher)) continue;
      const joinedAt = publisher.snapshot?.joinedAt ?? publisher.join?.at;
      if (kindsOf(publisher).length > 0 && joinedAt !== undefined) firstPublisherJoinedAt = Math.min(joinedAt, firstPublisherJoinedAt ?? Infinity);
      for (const kind of kindsOf(publisher)) {
        mine++;
        const peerId = publisher.snapshot?.peerId;
        const ok = peerId !== undefined && got.some((s) => s.peerId === peerId && s.kind === kind && s.packets > 0);
        if (ok) (received++, roomEntry.received++);
        else if (missing.length < MISSING_LISTED)
          missing.push({ room, subscriber: subscriber.planned.spec.name, publisher: publisher.planned.spec.name, kind });
      }
    }
    expected += mine;
    roomEntry.expected += mine;
    expectedByBot.set(subscriber, { streams: mine, ...(firstPublisherJoinedAt !== undefined ? { firstPublisherJoinedAt } : {}) });
  }
  return { expectedByBot, streams: { expected, received, byRoom: [...byRoom.values()], missing } };
}

function serverCost(record: RunRecord): Pick<Summary, 'serverCpuPct' | 'serverRssMb'> {
  const points = record.series.filter((p) => p.server);
  if (points.length === 0) return { serverCpuPct: null, serverRssMb: null };
  const hold = points.filter((p) => p.phase === 'hold' && p.server!.cpuPct.total !== null);
  const cpuPoints = hold.length > 0 ? hold : points;
  const cpu = (key: 'node' | 'workers' | 'total') => {
    const spanOfMean = meanMax(cpuPoints.map((p) => p.server!.cpuPct[key]));
    const overall = meanMax(points.map((p) => p.server!.cpuPct[key]));
    return spanOfMean && overall ? { mean: spanOfMean.mean, max: overall.max } : null;
  };
  const rss = (key: 'node' | 'workers' | 'total') => meanMax(points.map((p) => p.server!.rssMb[key]))?.max ?? null;
  return {
    serverCpuPct: { node: cpu('node'), workers: cpu('workers'), total: cpu('total') },
    serverRssMb: { node: rss('node'), workers: rss('workers'), total: rss('total') },
  };
}

export function evaluateThresholds(thresholds: Thresholds, s: Omit<Summary, 'thresholds' | 'passed'>): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  const check = (name: string, limit: number | undefined, actual: number | null, unit: string, atMost: boolean, missing: string) => {
    if (limit === undefined) return;
    const passed = actual !== null && (atMost ? actual <= limit : actual >= limit);
    results.push({ name, limit, actual, unit, passed, ...(actual === null ? { note: `not measured: ${missing}` } : {}) });
  };
  check('--max-loss', thresholds.maxLossPct, s.lossPct, '%', true, 'no packets received');
  check('--min-joined', thresholds.minJoinedPct, s.planned > 0 ? (100 * s.joined) / s.planned : null, '%', false, 'no bots planned');
  check('--max-join-p95', thresholds.maxJoinP95Ms, s.joinMs?.p95 ?? null, 'ms', true, 'no bot received remote media');
  const serverReason = s.server.available ? 'no CPU samples' : s.server.reason;
  check('--max-server-cpu', thresholds.maxServerCpuPct, s.serverCpuPct?.total?.mean ?? null, '%', true, serverReason);
  return results;
}

export function summarize(record: RunRecord, thresholds: Thresholds): Summary {
  const bots = record.bots;
  const launched = bots.filter((b) => b.launchedAt !== undefined);
  const failures: Record<string, number> = {};
  const count = (reason: string) => (failures[reason] = (failures[reason] ?? 0) + 1);
  for (const b of launched) {
    if (b.join && !b.join.ok) count(b.join.error ?? 'failed');
    else if (!b.join) count('never settled');
    else if (b.droppedError) count(`after join: ${b.droppedError}`);
  }
  const { expectedByBot, streams } = streamCheck(bots);
  const receivers = [...expectedByBot].filter(([, e]) => e.streams > 0).map(([b]) => b);
  const joinSamples: number[] = [];
  const bitrates: number[] = [];
  let withoutMedia = 0;
  for (const b of receivers) {
    const snap = b.snapshot;
    const ms = joinTimeMs(b, expectedByBot.get(b));
    if (ms !== null) joinSamples.push(ms);
    else withoutMedia++;
    const from = snap?.firstMediaAt ?? snap?.joinedAt ?? b.join?.at;
    const seconds = from !== undefined && b.snapshotAt !== undefined ? (b.snapshotAt - from) / 1000 : 0;
    const bytes = (snap?.streams ?? []).reduce((sum, s) => sum + (Number.isFinite(s.bytes) ? s.bytes : 0), 0);
    if (seconds > 0) bitrates.push((bytes * 8) / 1000 / seconds);
  }
  const allStreams: StreamStats[] = bots.filter((b) => b.join?.ok).flatMap((b) => b.snapshot?.streams ?? []);
  const packets = allStreams.reduce((sum, s) => sum + (Number.isFinite(s.packets) ? s.packets : 0), 0);
  const lost = allStreams.reduce((sum, s) => sum + (Number.isFinite(s.lost) ? Math.max(0, s.lost) : 0), 0);
  const streamLosses = allStreams.map((s) => lossPct(s.packets, s.lost)).filter((v): v is number => v !== null && Number.isFinite(v));
  const freezeStreams = allStreams.filter((s) => s.freezeCount !== undefined);
  const joinPct = percentiles(joinSamples);
  const base = {
    planned: bots.length,
    attempted: launched.length,
    joined: bots.filter((b) => b.join?.ok).length,
    failed: launched.filter((b) => !b.join?.ok || b.droppedError).length,
    droppedAfterJoin: bots.filter((b) => b.join?.ok && b.droppedError).length,
    failures,
    joinMs: joinPct ? { ...joinPct, samples: joinSamples.length } : null,
    withoutMedia,
    lossPct: lossPct(packets, lost),
    worstStreamLossPct: streamLosses.length ? Math.max(...streamLosses) : null,
    bitrateKbps: mean(bitrates),
    jitterMs: spread(allStreams.map((s) => s.jitterMs)),
    rttMs: spread(allStreams.flatMap((s) => (s.rttMs === undefined ? [] : [s.rttMs]))),
    freezes: freezeStreams.length
      ? { count: freezeStreams.reduce((n, s) => n + (s.freezeCount ?? 0), 0), totalMs: freezeStreams.reduce((n, s) => n + (s.freezeMs ?? 0), 0) }
      : null,
    streams,
    ...serverCost(record),
    server: record.server,
    rampS: record.holdStartT,
    holdS: record.holdStartT !== null && record.holdEndT !== null ? record.holdEndT - record.holdStartT : null,
    interrupted: record.interrupted,
  };
  const results = evaluateThresholds(thresholds, base);
  return { ...base, thresholds: results, passed: results.every((r) => r.passed) };
}

/** Present bots with what they should receive (for the per-bot report). */
export function expectationsByBot(bots: BotRecord[]): Map<BotRecord, Expectation> {
  return streamCheck(bots).expectedByBot;
}

/**
 * Join time: WebSocket open → first remote media. A bot that joined before any remote publisher (the
 * first publisher of a room) would otherwise count its wait for the others as join time, so the clock
 * starts at the later of its WebSocket open and the first remote publisher's join. Null: no media, or
 * no remote publisher to receive.
 */
export function joinTimeMs(bot: BotRecord, expectation: Expectation | undefined): number | null {
  const snap = bot.snapshot;
  if (!expectation || expectation.streams === 0 || snap?.wsOpenAt === undefined || snap.firstMediaAt === undefined) return null;
  const start = Math.max(snap.wsOpenAt, expectation.firstPublisherJoinedAt ?? -Infinity);
  return Math.max(0, snap.firstMediaAt - start);
}

const fixed = (v: number | null | undefined, digits = 0, unit = '') => (v === null || v === undefined ? 'n/a' : `${v.toFixed(digits)}${unit}`);

function costLine(parts: Record<string, MeanMax | number | null>, unit: string): string {
  return Object.entries(parts)
    .map(([name, v]) =>
      v === null ? `${name} n/a` : typeof v === 'number' ? `${name} ${fixed(v, 0, unit)}` : `${name} ${fixed(v.mean, 0, unit)} (max ${fixed(v.max, 0, unit)})`,
    )
    .join(', ');
}

/** The summary as label/text rows, shared by the terminal table and the HTML report. */
export function summaryRows(s: Summary): [string, string][] {
  const rows: [string, string][] = [];
  const row = (label: string, text: string) => rows.push([label, text]);
  const pct = s.planned > 0 ? ` (${((100 * s.joined) / s.planned).toFixed(1)}%)` : '';
  row('joins', `${s.joined}/${s.planned} joined${pct}, ${s.failed} failed${s.attempted < s.planned ? `, ${s.planned - s.attempted} never started` : ''}`);
  for (const [reason, n] of Object.entries(s.failures).sort((a, b) => b[1] - a[1])) row('  failure', `${n} × ${reason}`);
  if (Object.keys(s.failures).some((reason) => SERVER_LIMIT.test(reason))) row('  hint', SERVER_LIMIT_HINT);
  row(
    'join time',
    s.joinMs
      ? `p50 ${fixed(s.joinMs.p50)} ms, p95 ${fixed(s.joinMs.p95)} ms, p99 ${fixed(s.joinMs.p99)} ms (${s.joinMs.samples} bots; WebSocket open → first remote media)`
      : 'n/a (no bot received remote media)',
  );
  if (s.withoutMedia > 0) row('', `${s.withoutMedia} bot(s) with remote publishers received no media`);
  const all = s.streams.expected === s.streams.received;
  row('streams', `${s.streams.received}/${s.streams.expected} received${s.streams.expected > 0 && all ? ' (every subscriber got every publisher)' : ''}`);
  for (const gap of s.streams.missing.slice(0, 5)) row('  missing', `${gap.subscriber} ← ${gap.publisher} ${gap.kind} (${gap.room})`);
  row('bitrate', s.bitrateKbps === null ? 'n/a (no bot had a remote publisher)' : `${fixed(s.bitrateKbps)} kbps inbound per receiving bot`);
  row('loss', `${fixed(s.lossPct, 2, ' %')}${s.worstStreamLossPct !== null ? ` (worst stream ${s.worstStreamLossPct.toFixed(2)} %)` : ''}`);
  row('jitter', s.jitterMs ? `mean ${fixed(s.jitterMs.mean, 1)} ms, p95 ${fixed(s.jitterMs.p95, 1)} ms, max ${fixed(s.jitterMs.max, 1)} ms` : 'n/a');
  row('rtt', s.rttMs ? `mean ${fixed(s.rttMs.mean, 1)} ms, p95 ${fixed(s.rttMs.p95, 1)} ms, max ${fixed(s.rttMs.max, 1)} ms` : 'n/a');
  row('freezes', s.freezes ? `${s.freezes.count} (${fixed(s.freezes.totalMs)} ms frozen)` : 'n/a (not measured by these bots)');
  if (s.serverCpuPct && s.serverRssMb) {
    row('server CPU', `${costLine(s.serverCpuPct, ' %')} — % of one core, mean over the ${s.holdS !== null ? 'hold' : 'run'}`);
    row('server RSS', `${costLine(s.serverRssMb, ' MB')} — max`);
  } else row('server', `cost unavailable: ${s.server.available ? 'no samples' : s.server.reason}`);
  return rows;
}

/** Refusals by the server's per-address limits, which every bot of one machine shares. */
const SERVER_LIMIT = /rate_limited|too many (joins|connections|requests) from your address|limit of \d+ connections/i;
const SERVER_LIMIT_HINT =
  'the server limits joins and connections per address; for a load test from one machine raise JOINS_PER_IP_PER_MINUTE and MAX_WS_CONNECTIONS_PER_IP on the server';

export function thresholdText(t: ThresholdResult): string {
  const actual = t.actual === null ? (t.note ?? 'not measured') : `${t.actual.toFixed(t.unit === 'ms' ? 0 : 2)} ${t.unit}`;
  return `${t.name} ${t.limit} ${t.unit}: ${actual}`;
}

export function runTitle(
  s: Summary,
  options: Pick<LoadTestOptions, 'bots' | 'rooms' | 'peersPerRoom' | 'publishersPerRoom' | 'ramp' | 'durationS'>,
  runId: string,
): string {
  return `Confero load test ${runId}: ${options.bots} bots, ${options.rooms} room(s) × ${options.peersPerRoom} peers (${options.publishersPerRoom} publishing), ramp ${options.ramp}/s, hold ${options.durationS} s${s.interrupted ? ' — INTERRUPTED' : ''}`;
}

export function resultText(s: Summary): string {
  const failed = s.thresholds.filter((t) => !t.passed).length;
  const verdict = s.thresholds.length === 0 ? 'no thresholds set' : s.passed ? 'PASS' : `FAIL (${failed} threshold${failed === 1 ? '' : 's'} failed)`;
  return s.interrupted ? `${verdict}, but INTERRUPTED` : verdict;
}

/** The human summary printed at the end of a run. */
export function formatSummary(s: Summary, options: Parameters<typeof runTitle>[1], runId: string): string {
  const lines = [runTitle(s, options, runId), ...summaryRows(s).map(([label, text]) => `  ${label.padEnd(12)} ${text}`)];
  if (s.thresholds.length > 0) lines.push('thresholds', ...s.thresholds.map((t) => `  ${t.passed ? 'PASS' : 'FAIL'} ${thresholdText(t)}`));
  lines.push(`result: ${resultText(s)}`);
  return lines.join('\n');
}

/** The CLI's exit code: interrupted runs report their signal, then thresholds, then report-writing trouble. */
export function exitCodeFor(s: Pick<Summary, 'passed'>, { interruptCode = 0, reportsWritten = true } = {}): number {
  if (interruptCode) return interruptCode;
  if (!s.passed) return 1;
  return reportsWritten ? 0 : 1;
}
