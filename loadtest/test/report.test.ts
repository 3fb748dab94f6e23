/**
 * The reports from a fake-bot run: report.json follows the documented schema, and report.html opens in
 * Chromium with no network request leaving the page, every chart drawn (its series colour on the
 * canvas), and a screenshot in test-artifacts/loadtest-report.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import type { BotSpec } from '../src/bots/types';
import type { ScrapeOutcome } from '../src/metrics-scrape';
import { parseOptions, type LoadTestOptions } from '../src/options';
import { CHART_COLORS, CHART_IDS, renderHtmlReport } from '../src/report/html';
import { writeFileAtomic } from '../src/files';
import { buildReport, writeJsonReport, type Report } from '../src/report/json';
import { summarize } from '../src/report/summary';
import { LoadTestRunner, type MetricsSource } from '../src/runner';
import { fakeFactory } from './fake-bots';
import { canvasPixels, chartsDrawn, FIRST_COLOR, openReportPage } from './report-page';

const root = path.resolve(import.meta.dirname, '../..');
const SCREENSHOT = path.join(root, 'test-artifacts', 'loadtest-report.png');

/** A server whose cost rises with the bots and wobbles, as a real one would. */
function fakeMetrics(available: boolean): MetricsSource {
  let n = 0;
  return {
    get status() {
      return available
        ? { available: true as const }
        : { available: false as const, reason: 'http://127.0.0.1:3000/metrics answered 404: this server has no /metrics' };
    },
    async scrape(): Promise<ScrapeOutcome> {
      n++;
      if (!available) return { ok: false, reason: '404' };
      const load = Math.min(1, n / 15);
      const node = 5 + 15 * load + 3 * Math.sin(n / 2);
      const workers = 10 + 60 * load + 8 * Math.sin(n / 3);
      return {
        ok: true,
        cost: {
          cpuPct: n === 1 ? { node: null, workers: null, total: null } : { node, workers, total: node + workers },
          rssMb: { node: 90 + 20 * load, workers: 40 + 30 * load, total: 130 + 50 * load },
        },
      };
    },
  };
}

const index = (spec: BotSpec) => Number(/r(\d+)-b(\d+)$/.exec(spec.name)!.slice(1).join(''));

async function fakeRun(
  args: string[],
  metrics: MetricsSource,
  behaviour: (spec: BotSpec) => object = () => ({}),
): Promise<{ report: Report; options: LoadTestOptions }> {
  const parsed = parseOptions(args);
  if (parsed.help) throw new Error('help');
  const options = parsed.options;
  const factory = fakeFactory((spec) => ({
    joinMs: 150 + ((index(spec) * 137) % 400),
    pps: 100,
    lostPerSecond: spec.name.endsWith('b0') ? 1 : 0,
    kbpsPerStream: spec.publish?.video ? 300 : 400,
    rttMs: 1 + (index(spec) % 3),
    ...behaviour(spec),
  }));
  const runner = new LoadTestRunner({ options, factory, metrics, pollIntervalMs: 100, teardownTimeoutMs: 1000, runId: 'report' });
  const record = await runner.run();
  const summary = summarize(record, options.thresholds);
  return { report: buildReport(record, options, summary), options };
}

describe('report.json', () => {
  it('follows the documented schema', async () => {
    const { report } = await fakeRun(['--rooms', '2', '--peers-per-room', '3', '--ramp', '50', '--duration', '0.5', '--max-loss', '5'], fakeMetrics(true));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-json-'));
    try {
      const file = path.join(dir, 'nested', 'report.json');
      writeJsonReport(file, report);
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(Object.keys(json)).toEqual(['version', 'runId', 'startedAt', 'endedAt', 'options', 'summary', 'series', 'bots']);
      expect(json.version).toBe(1);
      expect(new Date(json.startedAt).toISOString()).toBe(json.startedAt);
      expect(json.options).toMatchObject({ rooms: 2, peersPerRoom: 3, wsUrl: 'ws://127.0.0.1:3000/ws', out: null, thresholds: { maxLossPct: 5 } });
      for (const key of [
        'joined',
        'failed',
        'attempted',
        'failures',
        'joinMs',
        'lossPct',
        'bitrateKbps',
        'jitterMs',
        'rttMs',
        'freezes',
        'streams',
        'serverCpuPct',
        'serverRssMb',
        'thresholds',
      ]) {
        expect(json.summary).toHaveProperty(key);
      }
      expect(json.summary).toMatchObject({ attempted: 6, joined: 6, failed: 0, streams: { expected: 16, received: 16 } });
      expect(Object.keys(json.summary.joinMs)).toEqual(['p50', 'p95', 'p99', 'samples']);
      expect(Object.keys(json.summary.serverCpuPct.total)).toEqual(['mean', 'max']);
      expect(json.summary.thresholds).toEqual([{ name: '--max-loss', limit: 5, actual: json.summary.lossPct, unit: '%', passed: true }]);
      const n = json.series.t.length;
      expect(n).toBeGreaterThan(3);
      for (const column of [
        json.series.phase,
        json.series.joined,
        json.series.failed,
        json.series.bitrateKbps,
        json.series.lossPct,
        json.series.serverCpuPct.node,
        json.series.serverCpuPct.workers,
        json.series.serverCpuPct.total,
        json.series.serverRssMb.total,
      ]) {
        expect(column).toHaveLength(n);
      }
      const histogramCount = json.series.joinMsHistogram.reduce((sum: number, b: { count: number }) => sum + b.count, 0);
      expect(histogramCount).toBe(json.summary.joinMs.samples);
      expect(json.bots).toHaveLength(6);
      expect(json.bots[0]).toMatchObject({
        name: 'r0-b0',
        room: 'load-report-r0',
        role: 'publisher',
        state: 'joined',
        expectedStreams: 2,
        receivedStreams: 2,
        error: null,
      });
      expect(fs.readdirSync(path.dirname(file))).toEqual(['report.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('report.html in Chromium', () => {
  let browser: TestBrowser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchBrowser();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-html-'));
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the report's HTML and opens it with every request but the file itself refused and recorded. */
  function open(report: Report, name: string) {
    const file = path.join(dir, name);
    writeFileAtomic(file, renderHtmlReport(report));
    return openReportPage(browser.browser, file);
  }

  it('is self-contained, draws every chart and looks decent', async () => {
    const { report } = await fakeRun(
      ['--rooms', '3', '--peers-per-room', '4', '--ramp', '8', '--duration', '2.5', '--max-loss', '1', '--min-joined', '90', '--max-join-p95', '500'],
      fakeMetrics(true),
      (spec) => (spec.name === 'r2-b3' ? { fail: 'room_full: <script>alert(1)</script>' } : {}),
    );
    const { page, leaks, errors } = await open(report, 'report.html');
    try {
      expect(await chartsDrawn(page)).toEqual([...CHART_IDS]);
      for (const id of CHART_IDS) {
        const pixels = await canvasPixels(page, id, FIRST_COLOR[id]);
        expect(pixels, id).not.toBeNull();
        expect(pixels!.painted, id).toBeGreaterThan(1000);
        expect(pixels!.series, `${id}: pixels of its first series`).toBeGreaterThan(30);
      }
      // The failure reason is shown as text, not run as markup.
      const summaryText = await page.$eval('table.summary', (t) => t.textContent);
      expect(summaryText).toContain('1 × room_full: <script>alert(1)</script>');
      expect(await page.evaluate(() => document.scripts.length)).toBe(4);
      expect(await page.$eval('.badge', (b) => b.textContent)).toMatch(/PASS|FAIL/);
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      expect(leaks).toEqual([]);
      expect(errors).toEqual([]);

      // The guard is real: a request the page tries is refused and recorded.
      await page.evaluate(() => fetch('http://127.0.0.1:9/probe').catch(() => undefined));
      expect(leaks).toEqual(['http://127.0.0.1:9/probe']);
    } finally {
      await page.close();
    }
  });

  it('says why the server charts are empty when the server has no /metrics', async () => {
    const { report } = await fakeRun(['--peers-per-room', '2', '--ramp', '50', '--duration', '0.3'], fakeMetrics(false));
    const { page, leaks, errors } = await open(report, 'no-metrics.html');
    try {
      for (const id of ['server-cpu', 'server-rss']) {
        expect(await page.$(`#${id} canvas`)).toBeNull();
        expect(await page.$eval(`#${id}`, (el) => el.textContent)).toContain('answered 404: this server has no /metrics');
      }
      expect((await canvasPixels(page, 'bots', CHART_COLORS.joined))!.series).toBeGreaterThan(30);
      expect(leaks).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
