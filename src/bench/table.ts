/**
 * The report as text: a Markdown table of the setups (to paste into BENCHMARKS.md as printed) and one
 * line per ratio.
 *
 * @module
 */

import { formatNumber, formatRatio, formatSpread } from "./format.ts";
import { MAX_CPU_RATIO, MIN_THROUGHPUT_RATIO } from "./report.ts";
import type { BenchReport, ComparisonReport } from "./report.ts";

const MB = 1024 * 1024;

/** The table of medians (middle half in brackets) and the ratios under it. */
export function formatReport(report: BenchReport): string {
  return `${formatSetupTable(report)}\n\n${report.comparisons.map(formatComparison).join("\n")}\n`;
}

/** One row per setup. */
export function formatSetupTable(report: BenchReport): string {
  const header = [
    "setup", "req/s", "p50 ms", "p90 ms", "p99 ms", "non-2xx / socket errors", "CPU ms / 1k req",
    "RSS MB master + workers", "cold start ms", "worker replaced ms", "failed across reload",
  ];
  const rows = report.setups.map(({ id, summary: s }) => [
    id,
    formatSpread(s.requestsPerSecond, 0),
    formatSpread(s.latencyP50Ms, 2),
    formatSpread(s.latencyP90Ms, 2),
    formatSpread(s.latencyP99Ms, 2),
    `${s.non2xx} / ${s.socketErrors}`,
    formatSpread(s.cpuMsPer1kRequests, 1),
    `${formatNumber((s.rssMasterBytes?.median ?? Number.NaN) / MB, 0)} + ${formatNumber((s.rssWorkersBytes?.median ?? Number.NaN) / MB, 0)}`,
    formatSpread(s.coldStartMs, 0),
    formatSpread(s.workerReplaceMs, 0),
    s.reloadFailedRequests ? formatNumber(s.reloadFailedRequests.max, 0) : "–",
  ]);
  return markdownTable([header, ...rows]);
}

/** `mgr (node) / node:cluster: throughput 0.990x (>= 0.97x: ok), CPU per request 1.010x (<= 1.03x: ok), p99 1.020x; …` */
export function formatComparison(c: ComparisonReport): string {
  const verdict = (ok: boolean | null, target: string) => (ok === null ? "" : ` (${target}: ${ok ? "ok" : "MISSED"})`);
  const paired = c.pairedThroughputRatio === null
    ? ""
    : `; per round: throughput ${formatRatio(c.pairedThroughputRatio)}` +
      (c.pairedThroughputQuartiles ? ` (middle half ${c.pairedThroughputQuartiles.map((q) => q.toFixed(2)).join("–")})` : "") +
      `, CPU per request ${formatRatio(c.pairedCpuPerRequestRatio)}`;
  return `${c.subject} / ${c.reference}: throughput ${formatRatio(c.throughputRatio)}${verdict(c.throughputOk, `>= ${MIN_THROUGHPUT_RATIO}x`)}, ` +
    `CPU per request ${formatRatio(c.cpuPerRequestRatio)}${verdict(c.cpuOk, `<= ${MAX_CPU_RATIO}x`)}, p99 ${formatRatio(c.p99Ratio)}${paired}`;
}

function markdownTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, column) => (column === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}
