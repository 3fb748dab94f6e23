/**
 * The runner and the summary with fake bots whose numbers are chosen by the test: the ramp order,
 * percentiles, loss, the stream check, failures, thresholds → exit code, interruption and a bounded
 * teardown. No network; runs are a fraction of a second long (fast ramp, short hold).
 */
import { describe, expect, it } from 'vitest';
import type { BotSpec } from '../src/bots/types';
import type { ScrapeOutcome, ServerCost } from '../src/metrics-scrape';
import { parseOptions, type LoadTestOptions, type Thresholds } from '../src/options';
import { exitCodeFor, formatSummary, summarize } from '../src/report/summary';
import { LoadTestRunner, type MetricsSource, type Progress, type RunnerConfig } from '../src/runner';
import { histogram, percentile, percentiles } from '../src/stats';
import { fakeFactory, PACKETS_PER_STREAM, type FakeBehaviour } from './fake-bots';

function options(args: string[] = []): LoadTestOptions {
  // Fast defaults for tests, each overridable by `args`.
  const defaults = ['--ramp', '200', '--duration', '0.5', '--join-timeout', '2'].filter((v, i, all) => !args.includes(i % 2 ? all[i - 1]! : v));
  const parsed = parseOptions([...defaults, ...args]);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
}

const botIndex = (spec: BotSpec) => Number(/b(\d+)$/.exec(spec.name)![1]);
const roomIndex = (spec: BotSpec) => Number(/^r(\d+)/.exec(spec.name)![1]);

async function run(args: string[], behaviour: (spec: BotSpec) => FakeBehaviour, extra: Partial<RunnerConfig> = {}) {
  const opts = options(args);
  const factory = fakeFactory(behaviour);
  const runner = new LoadTestRunner({ options: opts, factory, pollIntervalMs: 100, teardownTimeoutMs: 1000, runId: 'test', ...extra });
  const record = await runner.run();
  return { factory, record, opts };
}

describe('stats', () => {
  it('nearest-rank percentiles are observed values', () => {
    const xs = [800, 100, 300, 200, 700, 400, 600, 500];
    expect(percentiles(xs)).toEqual({ p50: 400, p95: 800, p99: 800 });
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(95);
    expect(percentile([], 50)).toBeNull();
    expect(percentile([NaN, 5], 50)).toBe(5);
  });

  it('histogram buckets cover every sample with a nice width', () => {
    const buckets = histogram([0, 99, 100, 950, 1999]);
    expect(buckets[0]!.from).toBe(0);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(5);
    expect(buckets.length).toBeLessThanOrEqual(20);
    expect(buckets[buckets.length - 1]!.to).toBeGreaterThan(1999);
    expect(histogram([])).toEqual([]);
  });
});

describe('LoadTestRunner with fake bots', () => {
  it('starts publishers first, interleaving rooms, with the planned names and specs', async () => {
    const { factory } = await run(['--rooms', '2', '--peers-per-room', '3', '--publishers-per-room', '1', '--simulcast', 'off'], () => ({}));
    expect(factory.bots.map((b) => b.spec.name)).toEqual(['r0-b0', 'r1-b0', 'r0-b1', 'r1-b1', 'r0-b2', 'r1-b2']);
    expect(factory.bots.map((b) => b.spec.room)).toEqual(['load-test-r0', 'load-test-r1', 'load-test-r0', 'load-test-r1', 'load-test-r0', 'load-test-r1']);
    expect(factory.bots[0]!.spec.publish).toEqual({ audio: true, video: true, simulcast: false });
    expect(factory.bots[2]!.spec.publish).toBeNull();
    expect(factory.bots.every((b) => b.closeCalls === 1 && b.state === 'closed')).toBe(true);
    expect(factory.closed).toBe(true);
  });

  it('summarizes join percentiles, loss, bitrate and the stream check from what the bots report', async () => {
    // 2 rooms × 4 bots, 2 publishers each: every bot receives someone, so all 8 have a join time.
    const { record } = await run(['--rooms', '2', '--peers-per-room', '4', '--duration', '1'], (spec) => ({
      joinMs: 100 * (roomIndex(spec) * 4 + botIndex(spec) + 1),
      lostPerStream: botIndex(spec) === 0 ? 10 : 0,
      kbpsPerStream: 400,
      jitterMs: botIndex(spec) + 1,
      rttMs: 10,
    }));
    const s = summarize(record, {});
    expect(s).toMatchObject({ planned: 8, attempted: 8, joined: 8, failed: 0, failures: {}, withoutMedia: 0, interrupted: false });
    expect(s.joinMs).toEqual({ p50: 400, p95: 800, p99: 800, samples: 8 });
    // Per room: b0 and b1 get 2 streams (the other publisher), b2 and b3 get 4; b0's 6 receivers lose 10 each.
    expect(s.streams).toMatchObject({ expected: 24, received: 24, missing: [] });
    expect(s.streams.byRoom).toEqual([
      { room: 'load-test-r0', expected: 12, received: 12 },
      { room: 'load-test-r1', expected: 12, received: 12 },
    ]);
    expect(s.lossPct).toBeCloseTo((100 * 120) / (24 * PACKETS_PER_STREAM + 120), 6);
    expect(s.worstStreamLossPct).toBeCloseTo((100 * 10) / (PACKETS_PER_STREAM + 10), 6);
    // Mean per bot: publishers receive 2 streams (800 kbps), subscribers 4 (1600 kbps).
    expect(Math.abs(s.bitrateKbps! - 1200) / 1200).toBeLessThan(0.01);
    expect(s.jitterMs!.max).toBe(4);
    expect(s.rttMs).toEqual({ mean: 10, p95: 10, max: 10 });
    expect(s.freezes).toBeNull();
    expect(s.serverCpuPct).toBeNull();
    expect(s.server.available).toBe(false);
    expect(s.holdS).not.toBeNull();

    const phases = new Set(record.series.map((p) => p.phase));
    expect(phases.has('hold')).toBe(true);
    expect(record.series[record.series.length - 1]!.joined).toBe(8);
    const holdLoss = record.series.filter((p) => p.phase === 'hold' && p.lossPct !== null);
    // Counters do not move during the hold in the fakes: no new packets, so no interval loss is invented.
    expect(holdLoss).toEqual([]);
    expect(record.series.some((p) => p.inboundKbps > 0)).toBe(true);
  });

  it('counts failures by reason, join timeouts, bots that drop after joining, and only present bots in the stream check', async () => {
    const { record, factory } = await run(['--rooms', '1', '--peers-per-room', '6', '--join-timeout', '0.3', '--duration', '0.4'], (spec) => {
      const j = botIndex(spec);
      if (j === 2) return { fail: 'room_full: the room is full' };
      // Bots may name themselves in errors: the reason is counted without the name.
      if (j === 3) return { fail: 'r0-b3: room_full: the room is full' };
      if (j === 4) return { hang: true };
      if (j === 5) return { dropAfterMs: 0, dropError: 'ICE failed' };
      return {};
    });
    const s = summarize(record, { minJoinedPct: 100 });
    expect(s).toMatchObject({ planned: 6, attempted: 6, joined: 3, failed: 4, droppedAfterJoin: 1 });
    expect(s.failures).toEqual({
      'room_full: the room is full': 2,
      'join timeout: not joined within 0.3 s': 1,
      'after join: ICE failed': 1,
    });
    // Present: b0 and b1 (publishers) receive each other: 2 kinds each way.
    expect(s.streams).toMatchObject({ expected: 4, received: 4 });
    expect(s.thresholds).toEqual([{ name: '--min-joined', limit: 100, actual: 50, unit: '%', passed: false }]);
    expect(s.passed).toBe(false);
    expect(exitCodeFor(s)).toBe(1);
    expect(factory.bots.every((b) => b.closeCalls === 1)).toBe(true);
    expect(formatSummary(s, options(), record.runId)).toContain('2 × room_full: the room is full');
    expect(formatSummary(s, options(), record.runId)).not.toContain('JOINS_PER_IP_PER_MINUTE');
  });

  it("points at the server's per-address limits when they refused bots", async () => {
    const { record } = await run(['--rooms', '1', '--peers-per-room', '3', '--duration', '0.2'], (spec) =>
      botIndex(spec) === 2 ? { fail: 'rate_limited: too many joins from your address: at most 60 a minute; retry in 41 s' } : {},
    );
    const text = formatSummary(summarize(record, {}), options(), record.runId);
    expect(text).toMatch(/hint\s+the server limits joins and connections per address; .*raise JOINS_PER_IP_PER_MINUTE and MAX_WS_CONNECTIONS_PER_IP/);
  });

  it("does not count a first publisher's wait for the others as join time", async () => {
    // b1 (the second publisher) takes 300 ms to join: b0 has nothing to receive until then.
    const { record } = await run(['--peers-per-room', '3'], (spec) => ({ joinMs: 50 + 10 * botIndex(spec), joinDelayMs: botIndex(spec) === 1 ? 300 : 5 }));
    const b0 = record.bots.find((b) => b.planned.spec.name === 'r0-b0')!.snapshot!;
    expect(b0.firstMediaAt! - b0.wsOpenAt!).toBeGreaterThanOrEqual(300);
    expect(summarize(record, {}).joinMs).toEqual({ p50: 60, p95: 70, p99: 70, samples: 3 });
  });

  it('reports a bot whose create() throws as a failed join', async () => {
    const { record } = await run(['--peers-per-room', '2', '--publishers-per-room', '1'], (spec) =>
      botIndex(spec) === 1 ? { createThrows: 'no browser' } : {},
    );
    const s = summarize(record, {});
    expect(s).toMatchObject({ attempted: 2, joined: 1, failed: 1, failures: { 'no browser': 1 } });
    // The lone publisher has no remote publisher: it is no receiver, so there is no join time.
    expect(s.joinMs).toBeNull();
    expect(s.streams).toMatchObject({ expected: 0, received: 0 });
  });

  it('lists streams a subscriber should have received but did not', async () => {
    const { record } = await run(['--peers-per-room', '3', '--publishers-per-room', '1', '--audio', 'off'], () => ({}));
    // Pretend b2 never got b0's video.
    const b2 = record.bots.find((b) => b.planned.spec.name === 'r0-b2')!;
    b2.snapshot = { ...b2.snapshot!, streams: [] };
    const s = summarize(record, {});
    expect(s.streams).toMatchObject({ expected: 2, received: 1 });
    expect(s.streams.missing).toEqual([{ room: 'load-test-r0', subscriber: 'r0-b2', publisher: 'r0-b0', kind: 'video' }]);
  });

  it('evaluates every threshold and maps them to the exit code', async () => {
    const { record } = await run(['--rooms', '2', '--peers-per-room', '4'], (spec) => ({
      joinMs: 100 * (roomIndex(spec) * 4 + botIndex(spec) + 1),
      lostPerStream: botIndex(spec) === 0 ? 10 : 0,
    }));
    const pass: Thresholds = { maxLossPct: 1, minJoinedPct: 100, maxJoinP95Ms: 800 };
    const passing = summarize(record, pass);
    expect(passing.thresholds.map((t) => [t.name, t.passed])).toEqual([
      ['--max-loss', true],
      ['--min-joined', true],
      ['--max-join-p95', true],
    ]);
    expect(exitCodeFor(passing)).toBe(0);
    expect(exitCodeFor(passing, { reportsWritten: false })).toBe(1);
    expect(exitCodeFor(passing, { interruptCode: 130 })).toBe(130);

    const failing = summarize(record, { maxLossPct: 0.1, maxJoinP95Ms: 799, maxServerCpuPct: 50 });
    expect(failing.thresholds.map((t) => [t.name, t.passed])).toEqual([
      ['--max-loss', false],
      ['--max-join-p95', false],
      ['--max-server-cpu', false],
    ]);
    expect(failing.thresholds[2]).toMatchObject({ actual: null, note: 'not measured: metrics not scraped' });
    expect(exitCodeFor(failing)).toBe(1);
    expect(formatSummary(failing, options(), 'test')).toMatch(/FAIL --max-loss 0\.1 %: 0\.50 %[\s\S]*result: FAIL \(3 thresholds failed\)/);
  });

  it('takes server cost from the metrics source: hold mean, run max, RSS max', async () => {
    const costs: ServerCost[] = [];
    let n = 0;
    const metrics: MetricsSource = {
      status: { available: true },
      async scrape(): Promise<ScrapeOutcome> {
        n++;
        // The first scrape has no CPU yet (no previous counter reading), as with a real server.
        const cost: ServerCost =
          n === 1
            ? { cpuPct: { node: null, workers: null, total: null }, rssMb: { node: 100, workers: 50, total: 150 } }
            : { cpuPct: { node: 10, workers: 30, total: 40 }, rssMb: { node: 100 + n, workers: 50, total: 150 + n } };
        costs.push(cost);
        return { ok: true, cost };
      },
    };
    const { record } = await run(['--peers-per-room', '2'], () => ({}), { metrics });
    const s = summarize(record, { maxServerCpuPct: 40 });
    expect(s.serverCpuPct).toEqual({ node: { mean: 10, max: 10 }, workers: { mean: 30, max: 30 }, total: { mean: 40, max: 40 } });
    expect(s.serverRssMb).toEqual({ node: 100 + n, workers: 50, total: 150 + n });
    expect(s.thresholds[0]).toMatchObject({ name: '--max-server-cpu', actual: 40, passed: true });
    expect(record.series.filter((p) => p.server).length).toBe(costs.length);
  });

  it('stops early when aborted, still closing every bot it started', async () => {
    const abort = new AbortController();
    const progress: Progress[] = [];
    const { record, factory } = await run(['--rooms', '1', '--peers-per-room', '50', '--ramp', '20', '--duration', '30'], () => ({}), {
      signal: abort.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.launched >= 3) abort.abort();
      },
    });
    expect(record.interrupted).toBe(true);
    expect(record.holdStartT).toBeNull();
    const s = summarize(record, {});
    expect(s.attempted).toBeLessThan(50);
    expect(s.attempted).toBe(factory.bots.length);
    expect(factory.bots.every((b) => b.closeCalls === 1)).toBe(true);
    expect(factory.closed).toBe(true);
    expect(progress.every((p) => p.planned === 50)).toBe(true);
  });

  it('ends joins still in flight when aborted, whatever the bots say later', async () => {
    const abort = new AbortController();
    const { record, factory } = await run(['--peers-per-room', '2', '--publishers-per-room', '1', '--join-timeout', '60'], () => ({ hang: true }), {
      signal: abort.signal,
      onProgress: (p) => p.launched === 2 && abort.abort(),
    });
    expect(summarize(record, {}).failures).toEqual({ 'interrupted while joining': 2 });
    expect(factory.bots.every((b) => b.closeCalls === 1)).toBe(true);
  });

  it('bounds the teardown when a bot never finishes closing', async () => {
    const { record, factory } = await run(
      ['--peers-per-room', '2', '--publishers-per-room', '1'],
      (spec) => (botIndex(spec) === 1 ? { hangOnClose: true } : {}),
      {
        teardownTimeoutMs: 200,
      },
    );
    expect(record.teardown.unfinished).toEqual(['r0-b1']);
    expect(factory.closed).toBe(true);
  });
});
