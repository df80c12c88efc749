/**
 * What the benchmark compares. A target is a server serving the benchmark app: its name, the command
 * that starts it, and the output line that says it is ready. Adding a runtime is adding entries here.
 *
 * @module
 */

import { join } from "node:path";

/** Workers (or processes) every target runs; the server is pinned to one core, wrk to another. */
export const WORKERS = 2;

/** What a target's command is built from. */
export interface TargetContext {
  /** The repository root, the working directory of every target. */
  root: string;
  /** Absolute path of the app to serve (bench/apps/hello.ts). */
  app: string;
  /** A free port on 127.0.0.1. */
  port: number;
  workers: number;
}

/** One server setup to measure. */
export interface Target {
  /** Shown in the table; comparisons refer to it. */
  name: string;
  /** The argv that starts the server in the foreground, binding 127.0.0.1 only. */
  command(context: TargetContext): string[];
  /**
   * A line of the server's output (stdout or stderr) that says every worker is serving. After it,
   * the benchmark still polls `GET /` until it answers the app's body.
   */
  ready: RegExp;
}

/** A mgr target measured against the bare setup it wraps. */
export interface Comparison {
  subject: string;
  baseline: string;
}

/** mgr must keep at least this share of the baseline's throughput. */
export const MIN_THROUGHPUT_RATIO = 0.97;
/** mgr may spend at most this multiple of the baseline's CPU time per request. */
export const MAX_CPU_RATIO = 1.03;

/**
 * The targets, measured in this order in every round.
 *
 * Planned (one entry each): Bun with 2 `reusePort` processes and mgr on Bun; Deno with
 * `deno serve --parallel`, 2 `reusePort` processes, and mgr on Deno.
 */
export const TARGETS: Target[] = [
  {
    name: "mgr (node)",
    command: ({ root, app, port, workers }) => [
      process.execPath,
      join(root, "dist/src/cli/bin.js"),
      app,
      "--workers", String(workers),
      "--bind", `127.0.0.1:${port}`,
    ],
    ready: /\[INFO\] Ready: \d+ workers serving/,
  },
  {
    name: "node:cluster",
    // `--import tsx` is inherited by the cluster workers (execArgv), which import the app through it.
    command: ({ root, app, port, workers }) => [
      process.execPath,
      "--import", "tsx",
      join(root, "bench/bare-cluster.ts"),
      app,
      String(port),
      String(workers),
    ],
    ready: /^ready: \d+ workers listening/,
  },
];

/** The ratios printed under the table, each against {@linkcode MIN_THROUGHPUT_RATIO} and {@linkcode MAX_CPU_RATIO}. */
export const COMPARISONS: Comparison[] = [
  { subject: "mgr (node)", baseline: "node:cluster" },
];
