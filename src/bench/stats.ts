/**
 * The median of a setup's rounds and how far they spread.
 *
 * @module
 */

/** A figure over several rounds: the median, the middle half (first to third quartile) and the extremes. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/** The `p` quantile (0 to 1), interpolated between the nearest ranks; NaN for no values. */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below);
}

/** The median; the mean of the middle two for an even count. */
export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** The spread of `values`, or null when there are none (a figure no round had). */
export function spreadOf(values: (number | null)[]): Spread | null {
  const known = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (known.length === 0) return null;
  return {
    median: median(known),
    q1: quantile(known, 0.25),
    q3: quantile(known, 0.75),
    min: Math.min(...known),
    max: Math.max(...known),
  };
}
