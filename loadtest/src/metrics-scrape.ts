/**
 * The server's cost during a load test, from its Prometheus endpoint (`/metrics`): CPU as a percentage
 * of one core (from counter deltas between two scrapes) and resident memory, the Node process and the
 * mediasoup workers apart — the workers do the media work, Node the signalling, and they scale
 * differently. A server without /metrics (404), or one that is unreachable, makes the cost "unavailable"
 * with a reason; it never fails the run.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class PromParseError extends Error {
  override readonly name = 'PromParseError';
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+-?\d+)?\s*$/;

function parseValue(text: string, line: number): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new PromParseError(`line ${line}: '${text}' is not a sample value`);
  return n;
}

/** `{a="x",b="y\"z"}` → labels; values may hold escaped quotes, backslashes, newlines, commas and braces. */
function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  const end = text.length - 1; // the closing '}'
  while (i < end) {
    while (text[i] === ',' || text[i] === ' ') i++;
    if (i >= end) break;
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') throw new PromParseError(`line ${line}: malformed labels ${text}`);
    const name = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < end && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        value += next === 'n' ? '\n' : (next ?? '');
      } else value += text[j];
    }
    if (text[j] !== '"') throw new PromParseError(`line ${line}: unterminated label value in ${text}`);
    labels[name] = value;
    i = j + 1;
  }
  return labels;
}

/** Prometheus text exposition format (version 0.0.4) → samples. Comments and blank lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new PromParseError(`line ${index + 1}: not a sample: ${line.slice(0, 80)}`);
    samples.push({ name: match[1]!, labels: match[2] ? parseLabels(match[2], index + 1) : {}, value: parseValue(match[3]!, index + 1) });
  });
  return samples;
}

/** What one scrape says about the server's cost; absent metrics are null. */
export interface ServerReading {
  /** performance.now() when the answer arrived: rates need a monotonic clock. */
  at: number;
  nodeCpuSeconds: number | null;
  /** Per worker process ("worker/pid"), so a replaced worker does not look like a counter reset. */
  workerCpuSeconds: Map<string, number>;
  nodeRssBytes: number | null;
  workersRssBytes: number | null;
}

export function readingFrom(samples: readonly PromSample[], at: number): ServerReading {
  const first = (name: string) => samples.find((s) => s.name === name)?.value ?? null;
  const workerCpuSeconds = new Map<string, number>();
  let workersRss: number | null = null;
  for (const s of samples) {
    if (s.name === 'confero_worker_cpu_seconds_total') workerCpuSeconds.set(`${s.labels.worker ?? ''}/${s.labels.pid ?? ''}`, s.value);
    if (s.name === 'confero_worker_rss_bytes') workersRss = (workersRss ?? 0) + s.value;
  }
  return {
    at,
    nodeCpuSeconds: first('process_cpu_seconds_total'),
    workerCpuSeconds,
    nodeRssBytes: first('process_resident_memory_bytes'),
    workersRssBytes: workersRss,
  };
}

/** Server cost at one moment. CPU is % of one core since the previous reading (null on the first). */
export interface ServerCost {
  cpuPct: { node: number | null; workers: number | null; total: number | null };
  rssMb: { node: number | null; workers: number | null; total: number | null };
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

export function costBetween(previous: ServerReading | null, current: ServerReading): ServerCost {
  const mb = (bytes: number | null) => (bytes === null ? null : bytes / (1024 * 1024));
  const rssMb = { node: mb(current.nodeRssBytes), workers: mb(current.workersRssBytes), total: mb(sumOrNull(current.nodeRssBytes, current.workersRssBytes)) };
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  if (!previous || seconds <= 0) return { cpuPct: { node: null, workers: null, total: null }, rssMb };
  const pct = (delta: number) => (100 * Math.max(0, delta)) / seconds;
  const node = current.nodeCpuSeconds !== null && previous.nodeCpuSeconds !== null ? pct(current.nodeCpuSeconds - previous.nodeCpuSeconds) : null;
  let workers: number | null = null;
  for (const [key, value] of current.workerCpuSeconds) {
    const before = previous.workerCpuSeconds.get(key);
    // A worker that appeared since (a replacement) has no baseline yet: it counts from the next scrape.
    if (before !== undefined) workers = (workers ?? 0) + pct(value - before);
  }
  return { cpuPct: { node, workers, total: sumOrNull(node, workers) }, rssMb };
}

export type ScrapeOutcome = { ok: true; cost: ServerCost } | { ok: false; reason: string };

/**
 * Scrapes one /metrics URL and turns successive readings into costs. Scrapes never overlap and each
 * is bounded by a timeout, so a slow server cannot pile up requests during a load test.
 */
export class MetricsScraper {
  private previous: ServerReading | null = null;
  private lastFailure: string | null = null;
  private succeeded = false;

  private readonly timeoutMs: number;
  /** Sent as `Authorization: Bearer …`: what a server with METRICS_TOKEN asks for. */
  private readonly token: string | undefined;

  constructor(
    readonly url: string,
    options: { timeoutMs?: number; token?: string } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.token = options.token || undefined;
  }

  /** Whether any scrape worked; otherwise why the last one did not. */
  get status(): { available: true } | { available: false; reason: string } {
    return this.succeeded ? { available: true } : { available: false, reason: this.lastFailure ?? 'not scraped' };
  }

  async scrape(): Promise<ScrapeOutcome> {
    let text: string;
    try {
      const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
      const response = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs), headers });
      text = await response.text();
      if (response.status === 404) return this.fail(`${this.url} answered 404: this server has no /metrics`);
      if (response.status === 401) {
        return this.fail(
          `${this.url} answered 401: ${this.token ? "METRICS_TOKEN is not the server's" : 'the server wants its METRICS_TOKEN (set it in the environment)'}`,
        );
      }
      if (!response.ok) return this.fail(`${this.url} answered HTTP ${response.status}`);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return this.fail(`${this.url} unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    let reading: ServerReading;
    try {
      reading = readingFrom(parsePrometheusText(text), performance.now());
    } catch (error) {
      return this.fail(`${this.url}: ${(error as Error).message}`);
    }
    const cost = costBetween(this.previous, reading);
    this.previous = reading;
    this.succeeded = true;
    return { ok: true, cost };
  }

  private fail(reason: string): ScrapeOutcome {
    this.lastFailure = reason;
    return { ok: false, reason };
  }
}
