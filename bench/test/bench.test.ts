/**
 * `npm run bench -- --quick` end to end: the real CLI (real servers, mediasoup workers, sim bots, Chromium
 * for time to first frame) writes its JSON and markdown into a temporary directory, and every field of
 * BenchResult is there with a sane value. Figures are not asserted: a quick run's numbers mean nothing.
 *
 * Ports: the bench's four blocks of 1000 start at 12000 + CONFERO_TEST_PORT_OFFSET / 2 (12000–20999 for
 * offsets up to 10000), below the test servers' blocks (21000+) and Linux's ephemeral range.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchFile } from '../src/report';
import type { ForwardingSystem, Percentiles } from '../src/types';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUN_TIMEOUT_MS = 240_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/src/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench --quick did not finish within ${RUN_TIMEOUT_MS / 1000} s:\n${stderr.slice(-3000)}`));
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const finiteNonNegative = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;

function expectPercentiles(p: Percentiles, what: string): void {
  for (const key of ['p50', 'p95', 'p99', 'samples'] as const) expect(finiteNonNegative(p[key]), `${what}.${key} = ${p[key]}`).toBe(true);
  expect(p.samples, `${what}: no samples`).toBeGreaterThan(0);
  expect(p.p50).toBeLessThanOrEqual(p.p95);
  expect(p.p95).toBeLessThanOrEqual(p.p99);
}

function expectSystem(s: ForwardingSystem, what: string): void {
  expect(s.steps.length, `${what}: no steps`).toBeGreaterThan(0);
  for (const run of [s.capacity, ...s.steps]) {
    for (const key of ['subscribers', 'packetsInPerSec', 'packetsOutPerSec', 'lossPercent', 'cpuPercent', 'cpuMsPer1000Packets'] as const) {
      expect(finiteNonNegative(run[key]), `${what}.${key} = ${run[key]}`).toBe(true);
    }
  }
  expect(s.capacity.packetsOutPerSec, `${what}: nothing forwarded`).toBeGreaterThan(0);
  expect(s.packetsOutPerSecPerCore).toBeGreaterThan(0);
}

describe('npm run bench -- --quick', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confero-bench-test-'));
  const portBase = 12_000 + Number(process.env.CONFERO_TEST_PORT_OFFSET ?? '0') / 2;
  let run: Run;
  let result: BenchFile;
  let markdown: string;

  beforeAll(async () => {
    run = await runCli(['--quick', '--out', outDir, '--port-base', String(portBase)]);
    const files = fs.readdirSync(outDir);
    const json = files.find((f) => f.endsWith('.json'));
    const md = files.find((f) => f.endsWith('.md'));
    if (!json || !md) throw new Error(`no results written (exit ${run.code}): ${files.join(', ')}\n${run.stderr.slice(-3000)}`);
    result = JSON.parse(fs.readFileSync(path.join(outDir, json), 'utf8')) as BenchFile;
    markdown = fs.readFileSync(path.join(outDir, md), 'utf8');
  }, RUN_TIMEOUT_MS + 10_000);

  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('runs every section and exits 0, naming the files <date>-<host>.json/.md', () => {
    const failures = Object.entries(result.sections).filter(([, s]) => s.status !== 'ok');
    expect(failures, JSON.stringify(failures)).toEqual([]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const stem = `${result.machine.startedAt.slice(0, 10)}-${result.host}`;
    expect(fs.existsSync(path.join(outDir, `${stem}.json`))).toBe(true);
    expect(run.stdout).toContain(markdown.split('\n')[0]);
  });

  it('describes the machine and the command', () => {
    const m = result.machine;
    expect(m.cpuModel.length).toBeGreaterThan(0);
    expect(m.cores).toBe(os.cpus().length);
    expect(m.memoryGb).toBeGreaterThan(0);
    expect(m.kernel).toMatch(/\S/);
    expect(m.node).toBe(process.versions.node);
    expect(m.mediasoup).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.chromium).toMatch(/\S/);
    expect(m.command).toContain('--quick');
    expect(m.quick).toBe(true);
    expect(Number.isNaN(Date.parse(m.startedAt))).toBe(false);
    for (const load of [result.loadAverage.atStart, result.loadAverage.atEnd]) expect(load.length === 3 && load.every(finiteNonNegative)).toBe(true);
    for (const name of ['forwarding', 'ttff', 'memory', 'scaling']) expect(finiteNonNegative(result.durations[name]), name).toBe(true);
  });

  it('forwarding: the three systems measured, ratios positive', () => {
    const f = result.forwarding!;
    expect(f.media).toMatch(/\S/);
    expectSystem(f.confero, 'confero');
    expectSystem(f.bareMediasoup, 'bareMediasoup');
    expectSystem(f.udpRelay, 'udpRelay');
    expect(f.ratioToBareMediasoup).toBeGreaterThan(0);
    expect(f.ratioToUdpRelay).toBeGreaterThan(0);
    expect(Number.isFinite(f.ratioToBareMediasoup) && Number.isFinite(f.ratioToUdpRelay)).toBe(true);
    expect(typeof f.pinning).toBe('string');
  });

  it('forwarding over SRTP: Confero and bare mediasoup measured with SRTP subscribers, ratio positive', () => {
    const f = result.forwarding!;
    expect(f.srtp.media).toMatch(/SRTP/);
    expectSystem(f.srtp.confero, 'srtp.confero');
    expectSystem(f.srtp.bareMediasoup, 'srtp.bareMediasoup');
    expect(f.srtp.ratioToBareMediasoup).toBeGreaterThan(0);
    expect(Number.isFinite(f.srtp.ratioToBareMediasoup)).toBe(true);
  });

  it('time to first frame: ordered percentiles for browser and sim', () => {
    const t = result.ttff!;
    expectPercentiles(t.browser, 'ttff.browser');
    expectPercentiles(t.sim, 'ttff.sim');
    expect(t.byRate.length).toBeGreaterThan(0);
    for (const r of t.byRate) expect(r.joinsPerSec).toBeGreaterThan(0);
    expect(t.publishers).toBe('sim');
    expect(t.withBrowserPublishers?.joinsPerSec).toBe(1);
    expectPercentiles(t.withBrowserPublishers!.browser, 'ttff.withBrowserPublishers.browser');
  });

  it('memory: RSS at every level, Node and workers both counted', () => {
    const m = result.memory!;
    expect(m.points.map((p) => p.peers)).toEqual([2, 5]);
    expect(m.baselineRssMb).toBeGreaterThan(10);
    for (const p of m.points) {
      expect(p.nodeRssMb).toBeGreaterThan(10);
      expect(p.workersRssMb).toBeGreaterThan(1);
      expect(Math.abs(p.rssMb - p.nodeRssMb - p.workersRssMb)).toBeLessThan(0.1);
    }
    expect(Number.isFinite(m.mbPerPeer)).toBe(true);
  });

  it('scaling: one point per N, media flowing, the largest N with < 1 % loss', () => {
    const s = result.scaling!;
    expect(s.map((p) => p.peers)).toEqual([2, 3]);
    for (const p of s) {
      expect(p.packetsOutPerSec, `${p.peers} peers: nothing delivered`).toBeGreaterThan(0);
      expect(finiteNonNegative(p.serverCpuPercent)).toBe(true);
      expect(p.serverCpuPercent).toBeGreaterThan(0);
      expect(finiteNonNegative(p.lossPercent) && p.lossPercent <= 100).toBe(true);
    }
    // 3 peers receive 3× the streams 2 do.
    expect(s[1]!.packetsOutPerSec).toBeGreaterThan(s[0]!.packetsOutPerSec * 1.5);
    const good = s.filter((p) => p.lossPercent < 1).map((p) => p.peers);
    expect(result.scalingMaxPeers).toBe(good.length > 0 ? Math.max(...good) : 0);
  });

  it('the markdown sets each figure beside its baseline and the published anchors', () => {
    expect(markdown).toContain('| section | figure | this run | beside it |');
    expect(markdown).toContain('target ≤ 5 MB');
    expect(markdown).toContain('~500 consumers per worker');
    expect(markdown).toMatch(/LiveKit 38,000–75,000 per vCPU/);
    expect(markdown).not.toContain('FAILED');
  });
});

describe('bench options', () => {
  it('refuses an unknown section or option with one line and exit 2, before measuring anything', async () => {
    const refusals: [string[], RegExp][] = [
      [['--only', 'forwarding,bogus'], /^bench: --only: unknown section bogus; sections are/],
      [['--fast'], /^bench: unknown option --fast \(see --help\)$/],
      [['--port-base', 'x'], /^bench: --port-base takes a port from 1024/],
      [['--quick=yes'], /^bench: --quick takes no value$/],
      [['--out'], /^bench: --out needs a value$/],
      [['--quick', '--quick'], /^bench: --quick given twice$/],
    ];
    for (const [args, message] of refusals) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(message);
      expect(run.stdout).toBe('');
    }
  });
});
