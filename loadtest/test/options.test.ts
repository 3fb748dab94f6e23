/** Command-line options: defaults, both value forms, URL derivation, and one clear error (exit 2) for bad input. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveUrls, OptionsError, parseOptions, type LoadTestOptions } from '../src/options';

const root = path.resolve(import.meta.dirname, '../..');

function parse(args: string[]): LoadTestOptions {
  const result = parseOptions(args);
  if (result.help) throw new Error('unexpected help');
  return result.options;
}

function errorOf(args: string[]): string {
  try {
    parseOptions(args);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    return (error as Error).message;
  }
  throw new Error(`no error for ${args.join(' ')}`);
}

function cli(args: string[]) {
  return spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['loadtest/src/cli.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

describe('parseOptions', () => {
  it('has the documented defaults', () => {
    expect(parse([])).toEqual({
      wsUrl: 'ws://127.0.0.1:3000/ws',
      metricsUrl: 'http://127.0.0.1:3000/metrics',
      rooms: 1,
      peersPerRoom: 4,
      publishersPerRoom: 2,
      bots: 'sim',
      botsPerBrowser: 4,
      simMedia: 'synthetic',
      video: true,
      audio: true,
      simulcast: true,
      ramp: 5,
      durationS: 30,
      joinTimeoutS: 30,
      thresholds: {},
    });
  });

  it('reads every option, as "--flag value" or "--flag=value"', () => {
    const o = parse([
      '--url=https://sfu.example.org',
      '--rooms',
      '3',
      '--peers-per-room=6',
      '--publishers-per-room',
      '6',
      '--bots',
      'browser',
      '--bots-per-browser=2',
      '--video',
      'off',
      '--audio=on',
      '--simulcast',
      'off',
      '--ramp',
      '0.5',
      '--duration=12.5',
      '--join-timeout',
      '10',
      '--out',
      'r.json',
      '--html=r.html',
      '--max-loss',
      '1',
      '--min-joined=100%',
      '--max-join-p95',
      '1500',
      '--max-server-cpu',
      '250',
    ]);
    expect(o).toEqual({
      wsUrl: 'wss://sfu.example.org/ws',
      metricsUrl: 'https://sfu.example.org/metrics',
      rooms: 3,
      peersPerRoom: 6,
      publishersPerRoom: 6,
      bots: 'browser',
      botsPerBrowser: 2,
      simMedia: 'synthetic',
      video: false,
      audio: true,
      simulcast: false,
      ramp: 0.5,
      durationS: 12.5,
      joinTimeoutS: 10,
      out: 'r.json',
      html: 'r.html',
      thresholds: { maxLossPct: 1, minJoinedPct: 100, maxJoinP95Ms: 1500, maxServerCpuPct: 250 },
    });
  });

  it('asks for help', () => {
    expect(parseOptions(['--rooms', '2', '--help'])).toEqual({ help: true });
    expect(parseOptions(['-h'])).toEqual({ help: true });
  });

  it.each([
    ['ws://127.0.0.1:3000/ws', 'ws://127.0.0.1:3000/ws', 'http://127.0.0.1:3000/metrics'],
    ['ws://127.0.0.1:3000', 'ws://127.0.0.1:3000/ws', 'http://127.0.0.1:3000/metrics'],
    ['http://localhost:3000/', 'ws://localhost:3000/ws', 'http://localhost:3000/metrics'],
    ['wss://h.example:8443/ws/', 'wss://h.example:8443/ws', 'https://h.example:8443/metrics'],
    ['https://h.example/sfu', 'wss://h.example/sfu/ws', 'https://h.example/sfu/metrics'],
    ['http://[::1]:3000', 'ws://[::1]:3000/ws', 'http://[::1]:3000/metrics'],
  ])('derives the endpoints from %s', (url, wsUrl, metricsUrl) => {
    expect(deriveUrls(url)).toEqual({ wsUrl, metricsUrl });
  });

  it.each([
    [['--bogus'], 'unknown option --bogus (see --help)'],
    [['rooms'], "unexpected argument 'rooms' (options start with --; see --help)"],
    [['--rooms'], '--rooms needs a value'],
    [['--rooms', '--duration', '5'], '--rooms needs a value'],
    [['--rooms', 'two'], "--rooms expects a whole number, got 'two'"],
    [['--rooms', '0'], '--rooms must be between 1 and 10000, got 0'],
    [['--rooms', '1.5'], "--rooms expects a whole number, got '1.5'"],
    [['--rooms', '2', '--rooms', '3'], '--rooms given twice'],
    [['--rooms=2', '--rooms', '3'], '--rooms given twice'],
    [['--rooms=-5'], "--rooms expects a whole number, got '-5'"],
    [['--', '--rooms', '2'], "unexpected '--' (see --help)"],
    [['--publishers-per-room', '5'], '--publishers-per-room (5) cannot exceed --peers-per-room (4)'],
    [['--bots', 'firefox'], "--bots expects sim or browser, got 'firefox'"],
    [['--sim-media', 'real'], "--sim-media expects synthetic or recorded, got 'real'"],
    [['--bots', 'browser', '--sim-media', 'recorded'], '--sim-media is what sim bots send: it goes with --bots sim (browser bots send their fake camera)'],
    [['--video', 'false'], "--video expects on or off, got 'false'"],
    [['--video=no'], "--video expects on or off, got 'no'"],
    [['--no-video'], 'unknown option --no-video: write --video off'],
    [['--audio', 'off', '--video', 'off'], 'publishers need something to send: --audio off and --video off leave them nothing (use --publishers-per-room 0)'],
    [['--ramp', '0'], '--ramp must be above 0 and at most 1000, got 0'],
    [['--duration', '-1'], "--duration expects a number, got '-1'"],
    [['--max-loss', '101'], '--max-loss must be at least 0 and at most 100, got 101'],
    [['--min-joined', 'most'], "--min-joined expects a number, got 'most'"],
    [['--max-join-p95', '1e3'], "--max-join-p95 expects a number, got '1e3'"],
    [['--out', ''], '--out expects a file name'],
    [['--url', 'ftp://x'], "--url expects ws://, wss://, http:// or https://, got 'ftp://x'"],
    [['--url', 'localhost:3000'], "--url expects ws://, wss://, http:// or https://, got 'localhost:3000'"],
    [['--url', 'nonsense'], "--url expects ws://, wss://, http:// or https:// followed by a host, got 'nonsense'"],
    [['--url', 'ws://h/ws?room=x'], "--url takes no query or fragment, got 'ws://h/ws?room=x'"],
    [['--rooms', '200', '--peers-per-room', '100', '--publishers-per-room', '1'], '--rooms × --peers-per-room is 20000 bots; at most 10000 per run'],
  ])('rejects %j', (args, message) => {
    expect(errorOf(args)).toBe(message);
  });

  it('takes recorded media for sim bots', () => {
    expect(parse(['--sim-media=recorded'])).toMatchObject({ bots: 'sim', simMedia: 'recorded' });
  });

  it('lets publish-less runs do without audio and video', () => {
    expect(parse(['--audio', 'off', '--video', 'off', '--publishers-per-room', '0'])).toMatchObject({ audio: false, video: false, publishersPerRoom: 0 });
  });
});

describe('the CLI', () => {
  it('exits 2 with one line for an unknown option', () => {
    const result = cli(['--bogus']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('loadtest: unknown option --bogus (see --help)\n');
  });

  it('exits 2 with one line when a report cannot be written', () => {
    const result = cli(['--out', '/proc/no-such-dir/report.json']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('loadtest: --out: cannot write to /proc/no-such-dir (ENOENT)\n');
  });

  it('prints the usage with --help and exits 0', () => {
    const result = cli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run loadtest -- \[options\]/);
    for (const flag of [
      '--url',
      '--rooms',
      '--peers-per-room',
      '--publishers-per-room',
      '--bots',
      '--bots-per-browser',
      '--sim-media',
      '--video',
      '--audio',
      '--simulcast',
      '--ramp',
      '--duration',
      '--out',
      '--html',
      '--max-loss',
      '--min-joined',
      '--max-join-p95',
      '--max-server-cpu',
    ]) {
      expect(result.stdout).toContain(`  ${flag} `);
    }
  });
});
