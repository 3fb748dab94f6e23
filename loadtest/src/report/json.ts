/**
 * report.json: everything a run measured, in the schema documented in loadtest/README.md. `series` is
 * columnar (one array per quantity, aligned on `t`) because that is what charts and scripts consume.
 */
import type { StreamStats } from '../bots/types';
import type { LoadTestOptions } from '../options';
import type { Phase, RunRecord } from '../runner';
import { histogram } from '../stats';
import { expectationsByBot, joinTimeMs, type Summary } from './summary';
import { writeFileAtomic } from '../files';

export const REPORT_VERSION = 1;

type Column = (number | null)[];

export interface ReportSeries {
  t: number[];
  phase: Phase[];
  launched: number[];
  joined: number[];
  failed: number[];
  bitrateKbps: number[];
  inboundKbps: number[];
  lossPct: Column;
  serverCpuPct: { node: Column; workers: Column; total: Column };
  serverRssMb: { node: Column; workers: Column; total: Column };
  /** Seconds since the start when the hold began and ended (null: not reached). */
  holdStartT: number | null;
  holdEndT: number | null;
  joinMsHistogram: { fromMs: number; toMs: number; count: number }[];
}

export interface ReportBot {
  name: string;
  room: string;
  role: 'publisher' | 'subscriber';
  state: string;
  peerId: string | null;
  /** The join's error, or what made a joined bot fail later. */
  error: string | null;
  joinMs: number | null;
  expectedStreams: number;
  receivedStreams: number;
  sent: { packets: number; bytes: number };
  streams: StreamStats[];
}

export interface Report {
  version: typeof REPORT_VERSION;
  runId: string;
  startedAt: string;
  endedAt: string;
  options: Omit<LoadTestOptions, 'out' | 'html'> & { out: string | null; html: string | null };
  summary: Summary;
  series: ReportSeries;
  bots: ReportBot[];
}

/** Rounds every number to `digits` decimals so the file stays readable; NaN/Infinity become null. */
export function roundNumbers<T>(value: T, digits = 2): T {
  const f = 10 ** digits;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * f) / f : null;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

function seriesOf(record: RunRecord, joinSamples: number[]): ReportSeries {
  const s = record.series;
  const cost = <K extends 'cpuPct' | 'rssMb'>(group: K, key: 'node' | 'workers' | 'total'): Column => s.map((p) => p.server?.[group][key] ?? null);
  return {
    t: s.map((p) => p.t),
    phase: s.map((p) => p.phase),
    launched: s.map((p) => p.launched),
    joined: s.map((p) => p.joined),
    failed: s.map((p) => p.failed),
    bitrateKbps: s.map((p) => p.bitrateKbps),
    inboundKbps: s.map((p) => p.inboundKbps),
    lossPct: s.map((p) => p.lossPct),
    serverCpuPct: { node: cost('cpuPct', 'node'), workers: cost('cpuPct', 'workers'), total: cost('cpuPct', 'total') },
    serverRssMb: { node: cost('rssMb', 'node'), workers: cost('rssMb', 'workers'), total: cost('rssMb', 'total') },
    holdStartT: record.holdStartT,
    holdEndT: record.holdEndT,
    joinMsHistogram: histogram(joinSamples).map((b) => ({ fromMs: b.from, toMs: b.to, count: b.count })),
  };
}

export function buildReport(record: RunRecord, options: LoadTestOptions, summary: Summary): Report {
  const expected = expectationsByBot(record.bots);
  const bots: ReportBot[] = record.bots.map((b) => {
    const snap = b.snapshot;
    const expectation = expected.get(b);
    const expectedStreams = expectation?.streams ?? 0;
    const joinMs = joinTimeMs(b, expectation);
    const streams = snap?.streams ?? [];
    return {
      name: b.planned.spec.name,
      room: b.planned.spec.room,
      role: b.planned.publisher ? 'publisher' : 'subscriber',
      state: b.launchedAt === undefined ? 'not started' : (snap?.state ?? (b.join?.ok === false ? 'failed' : 'starting')),
      peerId: snap?.peerId ?? null,
      error: (b.join?.ok === false ? b.join.error : b.droppedError) ?? null,
      joinMs,
      expectedStreams,
      receivedStreams: streams.filter((st) => st.packets > 0).length,
      sent: snap?.sent ?? { packets: 0, bytes: 0 },
      streams,
    };
  });
  const joinSamples = bots.flatMap((b) => (b.joinMs === null ? [] : [b.joinMs]));
  const { out, html, ...rest } = options;
  return roundNumbers({
    version: REPORT_VERSION,
    runId: record.runId,
    startedAt: new Date(record.startedAt).toISOString(),
    endedAt: new Date(record.endedAt).toISOString(),
    options: { ...rest, out: out ?? null, html: html ?? null },
    summary,
    series: seriesOf(record, joinSamples),
    bots,
  });
}

export function writeJsonReport(file: string, report: Report): void {
  writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
}
