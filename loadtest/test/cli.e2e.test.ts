/**
 * `npm run loadtest` end to end: the real CLI (a child process, as a user runs it) with sim and browser
 * bots against a real server (real mediasoup workers, real /metrics), writing report.json and
 * report.html. Checks what a load test exists to tell: everyone joined, every subscriber received every
 * publisher's media, no loss on loopback, join times and server cost measured, and the report renders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../../testkit/browser';
import { startTestServer, type TestServer } from '../../testkit/server';
import { parsePrometheusText } from '../src/metrics-scrape';
import { CHART_IDS } from '../src/report/html';
import type { Report } from '../src/report/json';
import { canvasPixels, chartsDrawn, FIRST_COLOR, openReportPage } from './report-page';
import { runCli, type CliRun } from './run-cli';
import { until } from '../../testkit/until';

describe('npm run loadtest against a real server', { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: TestBrowser;
  let dir: string;

  beforeAll(async () => {
    // WebRTC transports only, as in production: plain transports are no shortcut the bots may take.
    server = await startTestServer({ ALLOW_PLAIN_TRANSPORTS: 'false' });
    browser = await launchBrowser();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loadtest-e2e-'));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function loadTest(name: string, args: string[]): Promise<{ run: CliRun; report: Report; html: string }> {
    const out = path.join(dir, `${name}.json`);
    const html = path.join(dir, `${name}.html`);
    const run = await runCli(['--url', server.baseUrl, '--out', out, '--html', html, '--max-loss', '1', '--min-joined', '100%', ...args], {
      timeoutMs: 150_000,
    });
    if (run.code !== 0) throw new Error(`loadtest exited ${run.code}\n${run.stdout}\n${run.stderr}`);
    return { run, report: JSON.parse(fs.readFileSync(out, 'utf8')) as Report, html };
  }

  function expectHealthyRun(report: Report, bots: number): void {
    const s = report.summary;
    expect(s).toMatchObject({ planned: bots, attempted: bots, joined: bots, failed: 0, failures: {}, withoutMedia: 0, interrupted: false });
    expect(s.streams.expected).toBeGreaterThan(0);
    expect(s.streams.missing).toEqual([]);
    expect(s.streams.received).toBe(s.streams.expected);
    expect(s.lossPct).not.toBeNull();
    expect(s.lossPct!).toBeLessThan(1);
    expect(s.joinMs!.samples).toBe(bots);
    expect(s.joinMs!.p50).toBeLessThanOrEqual(s.joinMs!.p95);
    expect(s.joinMs!.p95).toBeLessThanOrEqual(s.joinMs!.p99);
    expect(s.bitrateKbps!).toBeGreaterThan(0);
    expect(s.server).toEqual({ available: true });
    expect(s.serverCpuPct!.total!.mean).toBeGreaterThan(0);
    expect(s.serverCpuPct!.workers).not.toBeNull();
    expect(s.serverRssMb!.node!).toBeGreaterThan(0);
    expect(s.serverRssMb!.workers!).toBeGreaterThan(0);
    expect(s.thresholds.map((t) => [t.name, t.passed])).toEqual([
      ['--max-loss', true],
      ['--min-joined', true],
    ]);
    expect(report.bots.every((b) => b.state === 'joined' && b.receivedStreams === b.expectedStreams)).toBe(true);
  }

  async function serverPeers(): Promise<number> {
    const samples = parsePrometheusText(await (await fetch(`${server.baseUrl}/metrics`)).text());
    return samples.find((m) => m.name === 'confero_peers')!.value;
  }

  /** Every bot left when the CLI ended: the server counts no peers (polled briefly: leaving is async). */
  async function expectServerEmpty(): Promise<void> {
    let peers = NaN;
    await until(async () => (peers = await serverPeers()) === 0, { timeoutMs: 10_000, intervalMs: 200, what: () => `the server counts no peers (${peers})` });
    expect(peers).toBe(0);
  }

  async function expectChartsRender(file: string): Promise<void> {
    const { page, leaks, errors } = await openReportPage(browser.browser, file);
    try {
      expect(await chartsDrawn(page)).toEqual([...CHART_IDS]);
      for (const id of CHART_IDS) expect((await canvasPixels(page, id, FIRST_COLOR[id]))!.series, id).toBeGreaterThan(30);
      expect(leaks).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }

  it('sim bots: 2 rooms × 4 bots for 10 s', async () => {
    const { run, report, html } = await loadTest('sim', ['--bots', 'sim', '--rooms', '2', '--peers-per-room', '4', '--duration', '10']);
    expectHealthyRun(report, 8);
    // 2 publishers with audio and video per room: publishers get 2 streams, subscribers 4.
    expect(report.summary.streams.expected).toBe(24);
    expect(run.stdout).toContain('streams      24/24 received (every subscriber got every publisher)');
    expect(run.stdout).toMatch(/result: PASS\n/);
    await expectServerEmpty();
    await expectChartsRender(html);
  });

  it('browser bots: 3 bots in one room', async () => {
    const { report, html } = await loadTest('browser', ['--bots', 'browser', '--peers-per-room', '3', '--bots-per-browser', '3', '--duration', '6']);
    expectHealthyRun(report, 3);
    expect(report.summary.streams.expected).toBe(8);
    expect(report.summary.freezes).not.toBeNull();
    await expectServerEmpty();
    await expectChartsRender(html);
  });

  it('Ctrl-C (SIGINT) ends a long run early, closes every bot and still writes the report', async () => {
    const out = path.join(dir, 'interrupted.json');
    const run = await runCli(['--url', server.wsUrl, '--bots', 'sim', '--peers-per-room', '3', '--duration', '600', '--out', out], {
      timeoutMs: 120_000,
      onStart: (child) => {
        // Interrupt once all three bots are in the room (bounded: the child's own timeout ends it otherwise).
        // Once: on a loaded machine two polls can be in flight, and a second SIGINT means "force exit".
        let sent = false;
        const poll = setInterval(() => {
          serverPeers().then(
            (peers) => {
              if (peers < 3 || sent) return;
              sent = true;
              clearInterval(poll);
              child.kill('SIGINT');
            },
            () => undefined,
          );
        }, 250);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('loadtest: SIGINT: stopping, closing every bot');
    expect(run.stdout).toContain('INTERRUPTED');
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
    expect(report.summary).toMatchObject({ interrupted: true, attempted: 3 });
    await expectServerEmpty();
  });
});
