/**
 * Numbers as the bench prints them.
 *
 * @module
 */

import type { Spread } from "./stats.ts";

/** With thousands separators and `digits` decimals, e.g. `12,345`; `–` for no figure. */
export function formatNumber(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The median, and the middle half in brackets when rounds differ: `12,345 (12,001–12,800)`. */
export function formatSpread(spread: Spread | null, digits: number, scale = 1): string {
  if (!spread) return "–";
  const median = formatNumber(spread.median / scale, digits);
  if (spread.q1 === spread.q3) return median;
  return `${median} (${formatNumber(spread.q1 / scale, digits)}–${formatNumber(spread.q3 / scale, digits)})`;
}

/** `1.023x`, or `–`. */
export function formatRatio(ratio: number | null): string {
  return ratio === null || !Number.isFinite(ratio) ? "–" : `${ratio.toFixed(3)}x`;
}

/** Minutes and seconds, `3:07`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
