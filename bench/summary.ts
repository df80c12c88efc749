/**
 * Turning rounds of measurements into the medians, the table and the mgr/baseline ratios.
 *
 * @module
 */

import type { Comparison } from "./targets.ts";
import { MAX_CPU_RATIO, MIN_THROUGHPUT_RATIO } from "./targets.ts";

/** One measured run of one target. */
export interface Measurement {
  target: string;
  round: number;
  requests: number;
  requestsPerSecond: number;
  /** CPU time of the server's whole process tree during the measured run. */
  cpuMs: number;
  cpuMsPer10k: number;
  non2xx: number;
  socketErrors: number;
  processes: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

/** A target's figures over all rounds. */
export interface TargetSummary {
  target: string;
  rounds: number;
  medianRequestsPerSecond: number;
  medianCpuMsPer10k: number;
  /** Summed over every measured run: any of them makes the figures suspect. */
  non2xx: number;
  socketErrors: number;
  requestsPerSecondByRound: number[];
  cpuMsPer10kByRound: number[];
}

/** A comparison's ratios and whether each meets its target. */
export interface ComparisonResult extends Comparison {
  throughputRatio: number;
  cpuRatio: number;
  throughputOk: boolean;
  cpuOk: boolean;
}

/** The median; the mean of the middle two for an even count. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Summarises the measurements of each target, in the order of `targets`. */
export function summarize(targets: string[], measurements: Measurement[]): TargetSummary[] {
  return targets.map((target) => {
    const runs = measurements.filter((m) => m.target === target);
    const rps = runs.map((m) => m.requestsPerSecond);
    const cpu = runs.map((m) => m.cpuMsPer10k);
    return {
      target,
      rounds: runs.length,
      medianRequestsPerSecond: median(rps),
      medianCpuMsPer10k: median(cpu),
      non2xx: runs.reduce((sum, m) => sum + m.non2xx, 0),
      socketErrors: runs.reduce((sum, m) => sum + m.socketErrors, 0),
      requestsPerSecondByRound: rps,
      cpuMsPer10kByRound: cpu,
    };
  });
}

/** Compares medians: throughput subject/baseline (higher is better), CPU per request (lower is better). */
export function compare(comparisons: Comparison[], summaries: TargetSummary[]): ComparisonResult[] {
  const byName = new Map(summaries.map((s) => [s.target, s]));
  return comparisons.flatMap((comparison) => {
    const subject = byName.get(comparison.subject);
    const baseline = byName.get(comparison.baseline);
    if (!subject || !baseline) return [];
    const throughputRatio = subject.medianRequestsPerSecond / baseline.medianRequestsPerSecond;
    const cpuRatio = subject.medianCpuMsPer10k / baseline.medianCpuMsPer10k;
    return [{
      ...comparison,
      throughputRatio,
      cpuRatio,
      throughputOk: throughputRatio >= MIN_THROUGHPUT_RATIO,
      cpuOk: cpuRatio <= MAX_CPU_RATIO,
    }];
  });
}

/** The table of medians, as Markdown so it can be pasted into BENCHMARKS.md as printed. */
export function formatTable(summaries: TargetSummary[]): string {
  const rows = [
    ["target", "req/s (median)", "CPU ms / 10k req (median)", "errors (non-2xx / socket)", "req/s by round", "CPU ms / 10k by round"],
    ...summaries.map((s) => [
      s.target,
      formatNumber(s.medianRequestsPerSecond, 0),
      formatNumber(s.medianCpuMsPer10k, 0),
      `${s.non2xx} / ${s.socketErrors}`,
      s.requestsPerSecondByRound.map((v) => formatNumber(v, 0)).join(", "),
      s.cpuMsPer10kByRound.map((v) => formatNumber(v, 0)).join(", "),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, column) => (column === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}

/** One line per comparison, e.g. `mgr (node) / node:cluster: throughput 0.98x (target >= 0.97x: ok), …`. */
export function formatComparison(result: ComparisonResult): string {
  const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");
  return `${result.subject} / ${result.baseline}: ` +
    `throughput ${result.throughputRatio.toFixed(3)}x (target >= ${MIN_THROUGHPUT_RATIO}x: ${verdict(result.throughputOk)}), ` +
    `CPU per request ${result.cpuRatio.toFixed(3)}x (target <= ${MAX_CPU_RATIO}x: ${verdict(result.cpuOk)})`;
}

/** Formats with thousands separators, e.g. `12,345`. */
export function formatNumber(value: number, digits: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
