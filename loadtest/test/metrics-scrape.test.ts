/** The /metrics scraper: the Prometheus text parser, CPU from counter deltas, RSS, and servers without /metrics. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer } from '../../testkit/server';
import { costBetween, MetricsScraper, parsePrometheusText, PromParseError, readingFrom, type ServerReading } from '../src/metrics-scrape';

const EXPOSITION = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_resident_memory_bytes 104857600
confero_worker_cpu_seconds_total{worker="0",pid="101"} 30
confero_worker_cpu_seconds_total{worker="1",pid="102"} 10.25
confero_worker_rss_bytes{worker="0",pid="101"} 52428800
confero_worker_rss_bytes{worker="1",pid="102"} 31457280
confero_ws_errors_total{method="join",code="bad \\"x\\", y\\\\z\\n"} 3
confero_join_duration_seconds_bucket{le="+Inf"} 7
confero_odd NaN
confero_with_timestamp 4 1700000000000

`;

function reading(at: number, node: number, workers: Record<string, number>): ServerReading {
  return { at, nodeCpuSeconds: node, workerCpuSeconds: new Map(Object.entries(workers)), nodeRssBytes: 10 * 1024 * 1024, workersRssBytes: null };
}

describe('parsePrometheusText', () => {
  it('reads names, labels (with escapes) and values, skipping comments', () => {
    const samples = parsePrometheusText(EXPOSITION);
    expect(samples).toHaveLength(10);
    expect(samples[0]).toEqual({ name: 'process_cpu_seconds_total', labels: {}, value: 12.5 });
    expect(samples.find((s) => s.name === 'confero_ws_errors_total')).toEqual({
      name: 'confero_ws_errors_total',
      labels: { method: 'join', code: 'bad "x", y\\z\n' },
      value: 3,
    });
    expect(samples.find((s) => s.name === 'confero_join_duration_seconds_bucket')!.labels).toEqual({ le: '+Inf' });
    expect(samples.find((s) => s.name === 'confero_odd')!.value).toBeNaN();
    expect(samples.find((s) => s.name === 'confero_with_timestamp')!.value).toBe(4);
  });

  it('rejects what is not a sample with the line number', () => {
    expect(() => parsePrometheusText('ok 1\n<html>not found</html>\n')).toThrow(PromParseError);
    expect(() => parsePrometheusText('ok 1\nbad_value abc\n')).toThrow("line 2: 'abc' is not a sample value");
    expect(() => parsePrometheusText('x{a="unterminated} 1\n')).toThrow(/unterminated label value/);
  });

  it('sums the workers and keeps Node apart', () => {
    const r = readingFrom(parsePrometheusText(EXPOSITION), 0);
    expect(r.nodeCpuSeconds).toBe(12.5);
    expect([...r.workerCpuSeconds]).toEqual([
      ['0/101', 30],
      ['1/102', 10.25],
    ]);
    expect(r.nodeRssBytes).toBe(100 * 1024 * 1024);
    expect(r.workersRssBytes).toBe(80 * 1024 * 1024);
  });
});

describe('costBetween', () => {
  it('turns counter deltas into % of one core', () => {
    const cost = costBetween(reading(1000, 10, { '0/1': 5, '1/2': 5 }), reading(3000, 11, { '0/1': 6.5, '1/2': 7 }));
    // Node: 1 s of CPU in 2 s; workers: 1.5 + 2 s in 2 s.
    expect(cost.cpuPct).toEqual({ node: 50, workers: 175, total: 225 });
    expect(cost.rssMb).toEqual({ node: 10, workers: null, total: 10 });
  });

  it('has no CPU on the first reading, and skips a replaced worker until it has a baseline', () => {
    expect(costBetween(null, reading(0, 1, {})).cpuPct).toEqual({ node: null, workers: null, total: null });
    const cost = costBetween(reading(0, 1, { '0/1': 5 }), reading(1000, 1, { '0/9': 0.2 }));
    expect(cost.cpuPct).toEqual({ node: 0, workers: null, total: 0 });
  });
});

describe('MetricsScraper', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function serve(handler: http.RequestListener): Promise<string> {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  it('scrapes a live endpoint: RSS at once, CPU from the second scrape on', async () => {
    let cpu = 1;
    const url = await serve((_req, res) => {
      cpu += 0.01;
      res.end(
        `process_cpu_seconds_total ${cpu}\nprocess_resident_memory_bytes ${64 * 1024 * 1024}\nconfero_worker_cpu_seconds_total{worker="0",pid="7"} ${cpu * 2}\nconfero_worker_rss_bytes{worker="0",pid="7"} ${32 * 1024 * 1024}\n`,
      );
    });
    const scraper = new MetricsScraper(url);
    const first = await scraper.scrape();
    expect(first).toEqual({ ok: true, cost: { cpuPct: { node: null, workers: null, total: null }, rssMb: { node: 64, workers: 32, total: 96 } } });
    await sleep(20);
    const second = await scraper.scrape();
    if (!second.ok) throw new Error(second.reason);
    // The workers' counter moves twice as fast as Node's.
    expect(second.cost.cpuPct.node).toBeGreaterThan(0);
    expect(second.cost.cpuPct.workers).toBeCloseTo(2 * second.cost.cpuPct.node!, 6);
    expect(scraper.status).toEqual({ available: true });
  });

  it('reports a server without /metrics as unavailable, not an error', async () => {
    const url = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('{"error":"not found"}');
    });
    const scraper = new MetricsScraper(url);
    expect(await scraper.scrape()).toEqual({ ok: false, reason: `${url} answered 404: this server has no /metrics` });
    expect(scraper.status).toEqual({ available: false, reason: `${url} answered 404: this server has no /metrics` });
  });

  it('reports an unreachable server and a page that is not Prometheus text', async () => {
    const url = await serve((_req, res) => res.end('<html>hello</html>'));
    expect(await new MetricsScraper(url).scrape()).toMatchObject({ ok: false, reason: expect.stringContaining('not a sample') });
    const closedPort = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    const unreachable = await new MetricsScraper(`http://127.0.0.1:${closedPort}/metrics`).scrape();
    expect(unreachable).toEqual({ ok: false, reason: `http://127.0.0.1:${closedPort}/metrics unreachable: ECONNREFUSED` });
  });

  it('sends METRICS_TOKEN to a real server that requires it, and says so when it is missing or wrong', async () => {
    const token = 'load-test-scrape-token';
    const confero = await startTestServer({ METRICS_TOKEN: token });
    try {
      const url = `${confero.baseUrl}/metrics`;
      const scraper = new MetricsScraper(url, { token });
      const reading = await scraper.scrape();
      if (!reading.ok) throw new Error(reading.reason);
      expect(reading.cost.rssMb.node).toBeGreaterThan(10);
      expect(reading.cost.rssMb.workers).toBeGreaterThan(1);
      expect(await new MetricsScraper(url).scrape()).toEqual({
        ok: false,
        reason: `${url} answered 401: the server wants its METRICS_TOKEN (set it in the environment)`,
      });
      expect(await new MetricsScraper(url, { token: 'not-the-token-at-all' }).scrape()).toEqual({
        ok: false,
        reason: `${url} answered 401: METRICS_TOKEN is not the server's`,
      });
    } finally {
      await confero.close();
    }
  });
});
