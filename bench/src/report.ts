/**
 * The run as written to disk (a BenchResult whose sections may be null when skipped or failed, with each
 * section's status) and its markdown: every figure beside its same-run baseline, the target from
 * /work/shared/notes/performance-targets.md, and the published anchors.
 */
import type { BenchResult, ForwardingResult, ForwardingSystem, MemoryResult, Percentiles, ScalingPoint, TtffResult } from './types';

export const SECTIONS = ['forwarding', 'ttff', 'memory', 'scaling'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface SectionStatus {
  status: 'ok' | 'failed' | 'skipped';
  error?: string;
}

export type BenchFile = Omit<BenchResult, 'forwarding' | 'ttff' | 'memory' | 'scaling' | 'scalingMaxPeers'> & {
  host: string;
  /** os.loadavg() (1, 5, 15 min) when the run started and ended: other work on the machine skews every figure. */
  loadAverage: { atStart: number[]; atEnd: number[] };
  forwarding: ForwardingResult | null;
  ttff: TtffResult | null;
  memory: MemoryResult | null;
  scaling: ScalingPoint[] | null;
  scalingMaxPeers: number | null;
  /** Why the scaling curve stopped where it did. */
  scalingStoppedBecause: string | null;
  sections: Record<SectionName, SectionStatus>;
};

/** Published figures, for context: not reproduced here. */
export const ANCHORS = {
  mediasoupConsumersPerWorker: 500,
  livekitPacketsOutPerVcpu: [38_000, 75_000] as const,
};

const n = (x: number | undefined | null, digits = 0): string =>
  typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : '—';
const pct = (p: Percentiles | undefined | null): string => (p ? `${n(p.p50)} / ${n(p.p95)} / ${n(p.p99)} ms (${n(p.samples)} samples)` : '—');
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function system(s: ForwardingSystem | undefined): string {
  if (!s?.capacity) return '—';
  const c = s.capacity;
  return `${n(c.subscribers)} streams, ${n(c.packetsOutPerSec)} packets/s out, ${n(c.lossPercent, 2)} % loss, ${n(c.cpuPercent)} % CPU, ${n(c.cpuMsPer1000Packets, 2)} ms/1000 packets`;
}

function forwardingRows(f: ForwardingResult): string[][] {
  const [lkLow, lkHigh] = ANCHORS.livekitPacketsOutPerVcpu;
  return [
    [
      'forwarding',
      `Confero capacity (${f.media})`,
      system(f.confero),
      `bare mediasoup: ${system(f.bareMediasoup)}; mediasoup docs: ~${ANCHORS.mediasoupConsumersPerWorker} consumers per worker`,
    ],
    [
      'forwarding',
      'packets/s out per core',
      n(f.confero?.packetsOutPerSecPerCore),
      `bare mediasoup ${n(f.bareMediasoup?.packetsOutPerSecPerCore)}, UDP relay ${n(f.udpRelay?.packetsOutPerSecPerCore)}; target ≥ 75,000 SRTP; LiveKit ${n(lkLow)}–${n(lkHigh)} per vCPU (published)`,
    ],
    ['forwarding', 'ratio to bare mediasoup', n(f.ratioToBareMediasoup, 3), 'target ≥ 0.95'],
    ['forwarding', 'ratio to UDP relay', n(f.ratioToUdpRelay, 3), `relay: ${system(f.udpRelay)}`],
    ['forwarding', `SRTP: Confero capacity (${f.srtp?.media ?? '—'})`, system(f.srtp?.confero), `bare mediasoup: ${system(f.srtp?.bareMediasoup)}`],
    [
      'forwarding',
      'SRTP: packets/s out per core',
      n(f.srtp?.confero.packetsOutPerSecPerCore),
      `bare mediasoup ${n(f.srtp?.bareMediasoup.packetsOutPerSecPerCore)}; target ≥ 75,000; reference (2026-11-24, bare mediasoup, unpinned) ≈ 75,000`,
    ],
    ['forwarding', 'SRTP: ratio to bare mediasoup', n(f.srtp?.ratioToBareMediasoup, 3), 'target ≥ 0.95'],
    ['forwarding', 'placement', f.pinning ?? '—', ''],
  ];
}

function ttffRows(t: TtffResult): string[][] {
  const rows = [
    [
      'time to first frame',
      `browser: WebSocket open → first remote frame decoded, p50 / p95 / p99 (publishers: ${t.publishers === 'browser' ? 'two Chromium pages' : 'two sim bots sending recorded VP8/Opus'})`,
      pct(t.browser),
      'target p50 ≤ 150 ms, p95 ≤ 400 ms at 10 joins/s; before (2026-11-28, 2 publishing Chromium pages, one join at a time): p50 ≈ 830 ms',
    ],
    ['time to first frame', 'sim bot: WebSocket open → first remote RTP packet, p50 / p95 / p99', pct(t.sim), 'load test (rooms of 6): join p50/p95 29/61 ms'],
  ];
  for (const r of t.byRate ?? [])
    rows.push(['time to first frame', `at ${n(r.joinsPerSec, 1)} joins/s: browser · sim`, `${pct(r.browser)} · ${pct(r.sim)}`, '']);
  const pages = t.withBrowserPublishers;
  if (pages) {
    rows.push([
      'time to first frame',
      `browser, beside two publishing Chromium pages on the same cores, at ${n(pages.joinsPerSec, 1)} join/s`,
      pct(pages.browser),
      'the machine runs two software VP8 encoders too; their keyframe latency and CPU are in these figures',
    ]);
  }
  return rows;
}

function memoryRows(m: MemoryResult & { idleRssMb?: number; layout?: string }): string[][] {
  return [
    ['memory', 'server RSS per connected peer (Node + workers)', `${n(m.mbPerPeer, 2)} MiB`, 'target ≤ 5 MB (slope of RSS over the levels)'],
    [
      'memory',
      'server RSS by peers',
      [
        `0: ${n(m.baselineRssMb)} MiB (fit; measured idle ${n(m.idleRssMb)})`,
        ...m.points.map((p) => `${p.peers}: ${n(p.rssMb)} MiB (Node ${n(p.nodeRssMb)}, workers ${n(p.workersRssMb)})`),
      ].join('; '),
      m.layout ?? '',
    ],
  ];
}

function scalingRows(points: ScalingPoint[], maxPeers: number | null, stopped: string | null): string[][] {
  const best = points.find((p) => p.peers === maxPeers);
  const streams = maxPeers ? maxPeers * (maxPeers - 1) * 2 : 0;
  return [
    [
      'scaling',
      'one room, everyone publishing audio + video: the most peers with < 1 % loss',
      maxPeers
        ? `${maxPeers} peers (${n(streams)} streams, ${n(best?.packetsOutPerSec)} packets/s out, server ${n(best?.serverCpuPercent)} % of a core)`
        : 'none',
      `stopped: ${stopped ?? '—'}; mediasoup docs ~${ANCHORS.mediasoupConsumersPerWorker} consumers per worker ≈ 16 such peers`,
    ],
  ];
}

export function renderMarkdown(file: BenchFile): string {
  const m = file.machine;
  const lines = [
    `# Confero bench — ${m.startedAt.slice(0, 10)} on ${file.host}${m.quick ? ' (quick: smoke run, figures not meaningful)' : ''}`,
    '',
    `${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, ${m.kernel}; Node ${m.node}, mediasoup ${m.mediasoup}, ${m.chromium}.`,
    `Command: \`${m.command}\`. Started ${m.startedAt}; sections took ${Object.entries(file.durations)
      .map(([k, v]) => `${k} ${Math.round(v)} s`)
      .join(', ')}.`,
    `Load average (1/5/15 min) at the start ${file.loadAverage.atStart.map((x) => x.toFixed(1)).join(' / ')}, at the end ${file.loadAverage.atEnd.map((x) => x.toFixed(1)).join(' / ')} (${m.cores} cores).`,
    '',
    '| section | figure | this run | beside it |',
    '|---|---|---|---|',
  ];
  const rows: string[][] = [];
  for (const name of SECTIONS) {
    const status = file.sections[name];
    if (status.status === 'skipped') rows.push([name, 'skipped', '—', '']);
    else if (status.status === 'failed') rows.push([name, 'FAILED', status.error ?? 'unknown error', '']);
    else if (name === 'forwarding' && file.forwarding) rows.push(...forwardingRows(file.forwarding));
    else if (name === 'ttff' && file.ttff) rows.push(...ttffRows(file.ttff));
    else if (name === 'memory' && file.memory) rows.push(...memoryRows(file.memory));
    else if (name === 'scaling' && file.scaling) rows.push(...scalingRows(file.scaling, file.scalingMaxPeers, file.scalingStoppedBecause));
  }
  lines.push(...rows.map((r) => `| ${r.map(cell).join(' | ')} |`));
  if (file.scaling && file.scaling.length > 0) {
    lines.push('', '**Scaling curve** (one room; packets/s delivered to the receivers; CPU in % of one core; bots and server share the machine)', '');
    const extra = file.scaling[0] as ScalingPoint & Record<string, unknown>;
    const hasExtra = 'busiestWorkerCpuPercent' in extra;
    lines.push(
      hasExtra
        ? '| peers | streams | packets/s out | loss % | server CPU | busiest worker | bots CPU | machine CPU |'
        : '| peers | packets/s out | loss % | server CPU |',
    );
    lines.push(hasExtra ? '|---|---|---|---|---|---|---|---|' : '|---|---|---|---|');
    for (const p of file.scaling as (ScalingPoint & Record<string, number>)[]) {
      lines.push(
        hasExtra
          ? `| ${p.peers} | ${n(p.streams)} | ${n(p.packetsOutPerSec)} | ${n(p.lossPercent, 3)} | ${n(p.serverCpuPercent)} % | ${n(p.busiestWorkerCpuPercent)} % | ${n(p.botsCpuPercent)} % | ${n(p.machineCpuPercent)} % |`
          : `| ${p.peers} | ${n(p.packetsOutPerSec)} | ${n(p.lossPercent, 3)} | ${n(p.serverCpuPercent)} % |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
