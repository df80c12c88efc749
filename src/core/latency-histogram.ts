/**
 * Request durations as a fixed-bucket histogram: a worker counts its requests into one, sends the
 * counts with each heartbeat and starts again; the master adds them up. Fixed buckets make the sum of
 * many workers' histograms exact, which averaging their percentiles would not be, and they are what
 * Prometheus' `histogram` type exposes.
 *
 * @module
 */

/**
 * Upper bounds of the buckets, in seconds (Prometheus' default buckets with 1 ms added): a request
 * that takes longer than the last falls in one more, unbounded bucket.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts per bucket, the last one for durations past every bound; `LATENCY_BUCKETS_SECONDS.length + 1` long. */
export type LatencyCounts = number[];

/** An empty set of counts. */
export function emptyLatencyCounts(): LatencyCounts {
  return new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0);
}

/** The bucket a duration of `ms` milliseconds falls in. */
export function latencyBucket(ms: number): number {
  const seconds = ms / 1000;
  for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
    if (seconds <= LATENCY_BUCKETS_SECONDS[i]!) return i;
  }
  return LATENCY_BUCKETS_SECONDS.length;
}

/** Adds `more` into `into`, bucket by bucket; counts of another length (a newer worker) are ignored. */
export function addLatencyCounts(into: LatencyCounts, more: readonly number[] | undefined): void {
  if (!more || more.length !== into.length) return;
  for (let i = 0; i < into.length; i++) into[i]! += Number.isFinite(more[i]) ? more[i]! : 0;
}

/**
 * The duration, in seconds, under which a share `q` (0.99 for p99) of the counted requests finished:
 * the upper bound of the bucket where that share is reached, interpolated linearly within it as
 * Prometheus' `histogram_quantile` does. Null when nothing was counted; the last finite bound when the
 * share is only reached in the unbounded bucket.
 */
export function latencyQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    if (below + n >= rank && n > 0) {
      if (i >= LATENCY_BUCKETS_SECONDS.length) return LATENCY_BUCKETS_SECONDS.at(-1)!;
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_SECONDS[i - 1]!;
      const upper = LATENCY_BUCKETS_SECONDS[i]!;
      return lower + (upper - lower) * ((rank - below) / n);
    }
    below += n;
  }
  return LATENCY_BUCKETS_SECONDS.at(-1)!;
}
