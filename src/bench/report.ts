/**
 * The bench's report, as written by `--json` (schema version 1, documented in docs/bench-json.md and
 * described by report-schema.ts): every round of every setup, each setup's medians and spread, and
 * the ratios between runtimes and to the baselines.
 *
 * @module
 */

import type { BenchOptions } from "./bench-options.ts";
import type { SetupKind } from "./setups.ts";
import type { RuntimeName } from "./runtimes.ts";
import type { Spread } from "./stats.ts";
import { median, quantile, spreadOf } from "./stats.ts";

/** The version of the report's layout; raised when a field changes meaning or goes away. */
export const SCHEMA_VERSION = 1;

/** mgr must keep at least this share of its baseline's throughput. */
export const MIN_THROUGHPUT_RATIO = 0.97;
/** mgr may spend at most this multiple of its baseline's CPU time per request. */
export const MAX_CPU_RATIO = 1.03;

/** Requests that failed across a reload under load. */
export interface ReloadResult {
  /** Requests the load generator completed while the reload ran (loaded from before SIGHUP until it completed). */
  requests: number;
  /** Non-2xx answers and socket errors meanwhile. */
  failedRequests: number;
  /** From SIGHUP to `Reload complete`; null if it did not complete within 30 s. */
  durationMs: number | null;
}

/** One measured round of one setup. */
export interface RoundResult {
  round: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  non2xx: number;
  socketErrors: number;
  /** CPU time of the server's whole process tree during the measured run. */
  cpuMs: number;
  cpuMsPer1kRequests: number | null;
  /** `cpuMs` over the run's wall time (1 = one core busy throughout). */
  serverCpuShare: number;
  /** Busy time of the server's CPUs not spent by the server, over wall time; null when not pinned. */
  otherCpuShare: number | null;
  /** The load generator's CPU time over wall time: near 1, it was the bottleneck. */
  loadGeneratorCpuShare: number;
  processes: number;
  /** RSS after the measured run: the master (or launcher) and each of its children. */
  rssBytes: { master: number; workers: number[] };
  /** From spawning the server to its first 2xx answer on the path. */
  coldStartMs: number;
  /** mgr only: from SIGKILLing a worker to its replacement's ready. */
  workerReplaceMs: number | null;
  /** mgr only. */
  reload: ReloadResult | null;
}

/** A setup's figures over all rounds. */
export interface SetupSummary {
  requestsPerSecond: Spread | null;
  latencyP50Ms: Spread | null;
  latencyP90Ms: Spread | null;
  latencyP99Ms: Spread | null;
  cpuMsPer1kRequests: Spread | null;
  rssMasterBytes: Spread | null;
  /** The sum over the workers, per round. */
  rssWorkersBytes: Spread | null;
  rssTotalBytes: Spread | null;
  coldStartMs: Spread | null;
  workerReplaceMs: Spread | null;
  reloadFailedRequests: Spread | null;
  serverCpuShare: Spread | null;
  loadGeneratorCpuShare: Spread | null;
  /** Summed over every measured run (not the reload's). */
  non2xx: number;
  socketErrors: number;
}

/** One measured setup. */
export interface SetupReport {
  id: string;
  name: string;
  kind: SetupKind;
  runtime: RuntimeName;
  workers: number;
  /** The command, with the port shown as `PORT`. */
  command: string[];
  rounds: RoundResult[];
  summary: SetupSummary;
}

/** A ratio between two setups of the same worker count. */
export interface ComparisonReport {
  /** `baseline`: mgr against its runtime's bare setup; `runtime`: mgr on one runtime against mgr on the first. */
  kind: "baseline" | "runtime";
  subject: string;
  reference: string;
  /** Ratio of the medians; null where the reference has no figure. */
  throughputRatio: number | null;
  cpuPerRequestRatio: number | null;
  p99Ratio: number | null;
  /** Median of the per-round ratios: a mgr setup and its reference run close in time in each round. */
  pairedThroughputRatio: number | null;
  pairedThroughputQuartiles: [number, number] | null;
  pairedCpuPerRequestRatio: number | null;
  /** For `baseline` only: whether mgr meets {@linkcode MIN_THROUGHPUT_RATIO} and {@linkcode MAX_CPU_RATIO}. */
  throughputOk: boolean | null;
  cpuOk: boolean | null;
}

/** The machine the bench ran on. */
export interface MachineReport {
  cpuModel: string;
  cpus: number;
  os: string;
  kernel: string;
  memoryBytes: number;
  runtimes: { name: RuntimeName; version: string; executable: string }[];
  loadGenerator: { name: string; version: string };
  /** CPUs the servers and the load generator were pinned to; null when not pinned. */
  pinning: { serverCpus: number[]; loadGeneratorCpus: number[] } | null;
}

/** The whole report. */
export interface BenchReport {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: "mgr"; version: string };
  startedAt: string;
  finishedAt: string;
  app: string;
  path: string;
  /** The options that shape the figures (JSON schema version 1: exactly these keys). */
  options: Pick<BenchOptions, "runtimes" | "workers" | "durationS" | "warmupS" | "rounds" | "connections" | "baseline">;
  machine: MachineReport;
  /** Runtimes asked for and not found, with where they were looked for. */
  missingRuntimes: { name: RuntimeName; searched: string[] }[];
  setups: SetupReport[];
  comparisons: ComparisonReport[];
  /** Figures to distrust, and why. */
  warnings: string[];
}

/** Summarises the rounds of a setup. */
export function summarizeRounds(rounds: RoundResult[]): SetupSummary {
  const of = (pick: (r: RoundResult) => number | null) => spreadOf(rounds.map(pick));
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    requestsPerSecond: of((r) => r.requestsPerSecond),
    latencyP50Ms: of((r) => r.latencyMs.p50),
    latencyP90Ms: of((r) => r.latencyMs.p90),
    latencyP99Ms: of((r) => r.latencyMs.p99),
    cpuMsPer1kRequests: of((r) => r.cpuMsPer1kRequests),
    rssMasterBytes: of((r) => r.rssBytes.master),
    rssWorkersBytes: of((r) => sum(r.rssBytes.workers)),
    rssTotalBytes: of((r) => r.rssBytes.master + sum(r.rssBytes.workers)),
    coldStartMs: of((r) => r.coldStartMs),
    workerReplaceMs: of((r) => r.workerReplaceMs),
    reloadFailedRequests: of((r) => r.reload?.failedRequests ?? null),
    serverCpuShare: of((r) => r.serverCpuShare),
    loadGeneratorCpuShare: of((r) => r.loadGeneratorCpuShare),
    non2xx: sum(rounds.map((r) => r.non2xx)),
    socketErrors: sum(rounds.map((r) => r.socketErrors)),
  };
}

/**
 * The ratios: each mgr setup against each baseline of its runtime and worker count, and mgr on each
 * runtime against mgr on the first runtime measured, at the same worker count.
 */
export function compareSetups(setups: SetupReport[]): ComparisonReport[] {
  const comparisons: ComparisonReport[] = [];
  for (const subject of setups.filter((s) => s.kind === "mgr")) {
    for (const baseline of setups.filter((s) => s.kind === "baseline" && s.runtime === subject.runtime && s.workers === subject.workers)) {
      comparisons.push(ratio("baseline", subject, baseline));
    }
  }
  const mgrs = setups.filter((s) => s.kind === "mgr");
  for (const subject of mgrs) {
    const reference = mgrs.find((s) => s.workers === subject.workers);
    if (reference && reference !== subject) comparisons.push(ratio("runtime", subject, reference));
  }
  return comparisons;
}

function ratio(kind: ComparisonReport["kind"], subject: SetupReport, reference: SetupReport): ComparisonReport {
  const divide = (a: Spread | null, b: Spread | null) => (a && b && b.median > 0 ? a.median / b.median : null);
  const perRound = (pick: (r: RoundResult) => number | null) =>
    subject.rounds.flatMap((round, i) => {
      const a = pick(round);
      const b = reference.rounds[i] ? pick(reference.rounds[i]!) : null;
      return a !== null && b !== null && b > 0 ? [a / b] : [];
    });
  const throughputRounds = perRound((r) => r.requestsPerSecond);
  const cpuRounds = perRound((r) => r.cpuMsPer1kRequests);
  const throughputRatio = divide(subject.summary.requestsPerSecond, reference.summary.requestsPerSecond);
  const cpuPerRequestRatio = divide(subject.summary.cpuMsPer1kRequests, reference.summary.cpuMsPer1kRequests);
  return {
    kind,
    subject: subject.id,
    reference: reference.id,
    throughputRatio,
    cpuPerRequestRatio,
    p99Ratio: divide(subject.summary.latencyP99Ms, reference.summary.latencyP99Ms),
    pairedThroughputRatio: throughputRounds.length > 0 ? median(throughputRounds) : null,
    pairedThroughputQuartiles: throughputRounds.length > 0 ? [quantile(throughputRounds, 0.25), quantile(throughputRounds, 0.75)] : null,
    pairedCpuPerRequestRatio: cpuRounds.length > 0 ? median(cpuRounds) : null,
    throughputOk: kind === "baseline" && throughputRatio !== null ? throughputRatio >= MIN_THROUGHPUT_RATIO : null,
    cpuOk: kind === "baseline" && cpuPerRequestRatio !== null ? cpuPerRequestRatio <= MAX_CPU_RATIO : null,
  };
}
