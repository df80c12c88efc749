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
  /**
   * `cpuMs` as a share of the measured run's wall time: about 100% when the server is the bottleneck
   * (it is pinned to one CPU); lower when it waited for requests, i.e. when wrk was.
   */
  serverCpuShare: number;
  non2xx: number;
  socketErrors: number;
  processes: number;
  /** Busy time of the server's CPU not spent by the server: the kernel's interrupts, and neighbours. */
  otherCpuMs: number;
  /** `otherCpuMs` as a share of the measured run's wall time. */
  otherCpuShare: number;
  /**
   * wrk's own CPU time as a share of the measured run's wall time. Near 100%, wrk is the bottleneck:
   * the req/s it reports is then a bound set by the load generator, not the server's capacity.
   */
  wrkCpuShare: number;
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
  medianServerCpuShare: number;
  medianOtherCpuShare: number;
  medianWrkCpuShare: number;
}

/** A comparison's ratios and whether each meets its target. */
export interface ComparisonResult extends Comparison {
  /** Ratio of the medians: what the targets are judged on. */
  throughputRatio: number;
  cpuRatio: number;
  /**
   * Median of the per-round ratios. Two runs of a round are close in time, so a neighbour's load
   * skews both alike; a cross-check on the ratio of medians when the machine is noisy.
   */
  pairedThroughputRatio: number;
  pairedCpuRatio: number;
  /**
   * The middle half of the per-round ratios (first and third quartiles): how far one round's ratio
   * strays. A target's margin smaller than this spread is not resolved by the run.
   */
  pairedThroughputQuartiles: [number, number];
  pairedCpuQuartiles: [number, number];
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

/** The `p` quantile (0 to 1), interpolated between the nearest ranks; the median for 0.5. */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below);
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
      medianServerCpuShare: median(runs.map((m) => m.serverCpuShare)),
      medianOtherCpuShare: median(runs.map((m) => m.otherCpuShare)),
      medianWrkCpuShare: median(runs.map((m) => m.wrkCpuShare)),
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
    const perRound = (of: (s: TargetSummary) => number[]) =>
      of(subject).slice(0, of(baseline).length).map((value, round) => value / of(baseline)[round]!);
    const paired = (of: (s: TargetSummary) => number[]) => median(perRound(of));
    const quartiles = (of: (s: TargetSummary) => number[]): [number, number] =>
      [quantile(perRound(of), 0.25), quantile(perRound(of), 0.75)];
    return [{
      ...comparison,
      throughputRatio,
      cpuRatio,
      pairedThroughputRatio: paired((s) => s.requestsPerSecondByRound),
      pairedCpuRatio: paired((s) => s.cpuMsPer10kByRound),
      pairedThroughputQuartiles: quartiles((s) => s.requestsPerSecondByRound),
      pairedCpuQuartiles: quartiles((s) => s.cpuMsPer10kByRound),
      throughputOk: throughputRatio >= MIN_THROUGHPUT_RATIO,
      cpuOk: cpuRatio <= MAX_CPU_RATIO,
    }];
  });
}

/** The table of medians, as Markdown so it can be pasted into BENCHMARKS.md as printed. */
export function formatTable(summaries: TargetSummary[]): string {
  const rows = [
    ["target", "req/s (median)", "CPU ms / 10k req (median)", "errors (non-2xx / socket)", "req/s by round", "CPU ms / 10k by round", "server CPU (median)", "other load on server CPU (median)", "wrk CPU (median)"],
    ...summaries.map((s) => [
      s.target,
      formatNumber(s.medianRequestsPerSecond, 0),
      formatNumber(s.medianCpuMsPer10k, 1),
      `${s.non2xx} / ${s.socketErrors}`,
      s.requestsPerSecondByRound.map((v) => formatNumber(v, 0)).join(", "),
      s.cpuMsPer10kByRound.map((v) => formatNumber(v, 1)).join(", "),
      `${formatNumber(s.medianServerCpuShare * 100, 0)}%`,
      `${formatNumber(s.medianOtherCpuShare * 100, 0)}%`,
      `${formatNumber(s.medianWrkCpuShare * 100, 0)}%`,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, column) => (column === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}

/**
 * Two lines per comparison, e.g.
 * `mgr (node) / node:cluster: throughput 0.980x (target >= 0.97x: ok), CPU per request 1.010x (target <= 1.03x: ok)`
 * and the paired ratios under it, with the middle half of the per-round ratios.
 */
export function formatComparison(result: ComparisonResult): string {
  const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");
  return `${result.subject} / ${result.baseline}: ` +
    `throughput ${result.throughputRatio.toFixed(3)}x (target >= ${MIN_THROUGHPUT_RATIO}x: ${verdict(result.throughputOk)}), ` +
    `CPU per request ${result.cpuRatio.toFixed(3)}x (target <= ${MAX_CPU_RATIO}x: ${verdict(result.cpuOk)})\n` +
    `  median of per-round ratios: throughput ${result.pairedThroughputRatio.toFixed(3)}x ` +
    `(middle half ${range(result.pairedThroughputQuartiles)}), ` +
    `CPU per request ${result.pairedCpuRatio.toFixed(3)}x (middle half ${range(result.pairedCpuQuartiles)})`;
}

function range([low, high]: [number, number]): string {
  return `${low.toFixed(2)}-${high.toFixed(2)}`;
}

/** Formats with thousands separators, e.g. `12,345`. */
export function formatNumber(value: number, digits: number): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
