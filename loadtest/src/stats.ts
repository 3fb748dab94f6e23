/** Small statistics helpers shared by the runner and the reports. Inputs that are not finite are ignored. */

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface MeanMax {
  mean: number;
  max: number;
}

export interface HistogramBucket {
  /** Inclusive lower edge and exclusive upper edge, in the samples' unit. */
  from: number;
  to: number;
  count: number;
}

function finite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

/**
 * Nearest-rank percentile: the smallest sample that at least p% of the samples are less than or equal
 * to. Always an observed value (no interpolation), so "p95 = 480 ms" means some join really took 480 ms.
 */
export function percentile(values: readonly number[], p: number): number | null {
  const sorted = finite(values).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function percentiles(values: readonly number[]): Percentiles | null {
  if (finite(values).length === 0) return null;
  return { p50: percentile(values, 50)!, p95: percentile(values, 95)!, p99: percentile(values, 99)! };
}

export function mean(values: readonly number[]): number | null {
  const xs = finite(values);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function meanMax(values: readonly (number | null)[]): MeanMax | null {
  const xs = finite(values.filter((v): v is number => v !== null));
  if (xs.length === 0) return null;
  return { mean: mean(xs)!, max: Math.max(...xs) };
}

/** Loss as a percentage of packets that should have arrived: lost / (received + lost). */
export function lossPct(packets: number, lost: number): number | null {
  const total = packets + Math.max(0, lost);
  return total > 0 ? (100 * Math.max(0, lost)) / total : null;
}

/** A "nice" step (1, 2 or 5 × 10^k) so that `span` fits in at most `maxBuckets` steps. */
export function niceStep(span: number, maxBuckets: number): number {
  const raw = Math.max(span, 1) / maxBuckets;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

/** Equal-width buckets with a nice width, from 0 to past the largest sample. Empty input → no buckets. */
export function histogram(values: readonly number[], maxBuckets = 20): HistogramBucket[] {
  const xs = finite(values).map((v) => Math.max(0, v));
  if (xs.length === 0) return [];
  const max = Math.max(...xs);
  const step = niceStep(max + 1, maxBuckets);
  const n = Math.floor(max / step) + 1;
  const buckets: HistogramBucket[] = Array.from({ length: n }, (_, i) => ({ from: i * step, to: (i + 1) * step, count: 0 }));
  for (const x of xs) buckets[Math.min(n - 1, Math.floor(x / step))]!.count++;
  return buckets;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
