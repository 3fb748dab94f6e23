/**
 * `npm run loadtest -- [options]`: parse the options, run the bots, print the summary, write the
 * reports, and exit 0 (passed), 1 (a threshold failed), 2 (bad options) or 130/143 (interrupted).
 * SIGINT/SIGTERM stop the run early and still close every bot and browser; a second Ctrl-C forces exit.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BotFactory } from './bots/types';
import { createLiveView, type LiveView } from './live';
import { MetricsScraper } from './metrics-scrape';
import { OptionsError, parseOptions, USAGE, type BotCredentials, type LoadTestOptions } from './options';
import { withAccessTokens } from './bots/token-bots';
import { renderHtmlReport } from './report/html';
import { ensureDir, writeFileAtomic } from './files';
import { buildReport, writeJsonReport } from './report/json';
import { exitCodeFor, formatSummary, summarize } from './report/summary';
import { LoadTestRunner } from './runner';

const TEARDOWN_TIMEOUT_MS = 15_000;

/** Report paths must be writable before a run of minutes is spent, not after. */
function checkWritable(file: string | undefined, flag: string): void {
  if (!file) return;
  const dir = path.dirname(path.resolve(file));
  try {
    ensureDir(dir);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new OptionsError(`${flag}: cannot write to ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new OptionsError(`${flag}: ${file} is a directory`);
}

/** Imported on demand: browser bots pull in puppeteer, sim bots libdatachannel; a run needs only one. */
async function createFactory(options: LoadTestOptions, log: (line: string) => void): Promise<BotFactory> {
  if (options.bots === 'browser') {
    const { createBrowserBotFactory } = await import('./bots/browser');
    return createBrowserBotFactory({ botsPerBrowser: options.botsPerBrowser, joinTimeoutMs: options.joinTimeoutS * 1000, log });
  }
  const { createSimBotFactory } = await import('./bots/sim');
  return createSimBotFactory({ log, media: options.simMedia });
}

function writeReports(options: LoadTestOptions, report: ReturnType<typeof buildReport>, live: Pick<LiveView, 'log'>): boolean {
  let ok = true;
  const attempt = (file: string | undefined, write: (file: string) => void) => {
    if (!file) return;
    try {
      write(file);
      process.stdout.write(`report: ${path.resolve(file)}\n`);
    } catch (error) {
      live.log(`loadtest: could not write ${file}: ${(error as Error).message}`);
      ok = false;
    }
  };
  attempt(options.out, (file) => writeJsonReport(file, report));
  attempt(options.html, (file) => writeFileAtomic(file, renderHtmlReport(report)));
  return ok;
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: LoadTestOptions;
  let credentials: BotCredentials | undefined;
  try {
    const parsed = parseOptions(argv);
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed.options;
    credentials = parsed.credentials;
    checkWritable(options.out, '--out');
    checkWritable(options.html, '--html');
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`loadtest: ${error.message}\n`);
    return 2;
  }

  const abort = new AbortController();
  let interruptCode = 0;
  let live: LiveView | null = null;
  const log = (line: string) => (live ? live.log(line) : process.stderr.write(`${line}\n`));
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      process.stderr.write(`\nloadtest: ${signal} again: exiting without waiting for the bots\n`);
      process.exit(interruptCode);
    }
    interruptCode = signal === 'SIGINT' ? 130 : 143;
    log(`loadtest: ${signal}: stopping, closing every bot (Ctrl-C again to force exit)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let factory: BotFactory;
  try {
    factory = await createFactory(options, log);
    if (credentials) factory = withAccessTokens(factory, credentials);
  } catch (error) {
    process.stderr.write(`loadtest: cannot create ${options.bots} bots: ${(error as Error).message}\n`);
    return 2;
  }
  const runner = new LoadTestRunner({
    options,
    factory,
    // A server with METRICS_TOKEN wants it; read from the environment, like the server, never from argv.
    metrics: new MetricsScraper(options.metricsUrl, { token: process.env.METRICS_TOKEN }),
    signal: abort.signal,
    teardownTimeoutMs: TEARDOWN_TIMEOUT_MS,
    onProgress: (progress) => live?.update(progress),
    log,
  });
  const title = `Confero load test ${runner.id} → ${options.wsUrl} · ${options.bots} bots · ${options.rooms}×${options.peersPerRoom}`;
  live = createLiveView({ out: process.stdout, err: process.stderr, title, rampPerS: options.ramp });

  // Belt and braces: the runner is bounded by construction; this bounds it even if a bot misbehaves in a
  // way nobody foresaw (ramp + join timeout + hold + two teardown timeouts + a minute).
  const plannedS = (options.rooms * options.peersPerRoom) / options.ramp + options.joinTimeoutS + options.durationS;
  const watchdog = setTimeout(
    () => {
      process.stderr.write('loadtest: the run did not finish in its time bound; exiting\n');
      process.exit(1);
    },
    (plannedS + (2 * TEARDOWN_TIMEOUT_MS) / 1000 + 60) * 1000,
  );
  watchdog.unref();

  const record = await runner.run();
  live.finish();
  const summary = summarize(record, options.thresholds);
  process.stdout.write(`${formatSummary(summary, options, record.runId)}\n`);
  const written = writeReports(options, buildReport(record, options, summary), live);
  return exitCodeFor(summary, { interruptCode, reportsWritten: written });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`loadtest: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
