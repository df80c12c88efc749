/**
 * What the benchmark compares. A target is a server serving the benchmark app: its name, the command
 * that starts it, and the output line that says it is ready. Adding a target is adding an entry here.
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
  /** What it runs on; every process of the target (master and workers) runs on this runtime. */
  runtime: Runtime;
  /** The argv that starts the server in the foreground, binding 127.0.0.1 only. */
  command(context: TargetContext): string[];
  /** Variables added to the environment of the command, if any. */
  env?(context: TargetContext): Record<string, string>;
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

/** The runtimes a target runs on; `npm run bench -- --runtimes node,bun` measures a subset. */
export const RUNTIMES = ["node", "bun", "deno"] as const;
export type Runtime = (typeof RUNTIMES)[number];

/**
 * The executable of each runtime: Node is the one running the benchmark; Bun and Deno are the
 * project's devDependencies (`npm install` puts them in node_modules/.bin).
 */
export function runtimeExecutable(runtime: Runtime, root: string): string {
  return runtime === "node" ? process.execPath : join(root, "node_modules/.bin", runtime);
}

/** mgr's ready line, the same on every runtime. */
const MGR_READY = /\[INFO\] Ready: \d+ workers serving/;
/** The ready line of the bare launchers (bench/bare-*.ts). */
const BARE_READY = /^ready: \d+ (workers|processes) listening/;

/** The targets, measured in this order in every round. */
export const TARGETS: Target[] = [
  {
    name: "mgr (node)",
    runtime: "node",
    command: ({ root, app, port, workers }) => [
      runtimeExecutable("node", root),
      join(root, "dist/src/cli/bin.js"),
      app,
      "--workers", String(workers),
      "--bind", `127.0.0.1:${port}`,
    ],
    ready: MGR_READY,
  },
  {
    name: "node:cluster",
    runtime: "node",
    // `--import tsx` is inherited by the cluster workers (execArgv), which import the app through it.
    command: ({ root, app, port, workers }) => [
      runtimeExecutable("node", root),
      "--import", "tsx",
      join(root, "bench/bare-cluster.ts"),
      app,
      String(port),
      String(workers),
    ],
    ready: BARE_READY,
  },
  {
    // The built CLI run by Bun: a Bun master, Bun workers serving with `Bun.serve({ reusePort })`.
    name: "mgr (bun)",
    runtime: "bun",
    command: ({ root, app, port, workers }) => [
      runtimeExecutable("bun", root),
      join(root, "dist/src/cli/bin.js"),
      app,
      "--workers", String(workers),
      "--bind", `127.0.0.1:${port}`,
    ],
    ready: MGR_READY,
  },
  {
    name: "Bun.serve reusePort",
    runtime: "bun",
    command: ({ root, app, port, workers }) => [
      runtimeExecutable("bun", root),
      join(root, "bench/bare-bun.ts"),
      app,
      String(port),
      String(workers),
    ],
    ready: BARE_READY,
  },
  {
    // mgr's Deno entry point: a Deno master, Deno workers serving with `Deno.serve({ reusePort })`.
    name: "mgr (deno)",
    runtime: "deno",
    command: ({ root, app, port, workers }) => [
      runtimeExecutable("deno", root),
      "run", "-A",
      join(root, "mgr.ts"),
      app,
      "--workers", String(workers),
      "--bind", `127.0.0.1:${port}`,
    ],
    ready: MGR_READY,
  },
  {
    // One process, DENO_JOBS threads, each its own isolate and SO_REUSEPORT listener. DENO_JOBS is
    // set: its default, the number of CPUs this process may use, would be 1 under `taskset -c 1`.
    name: "deno serve --parallel",
    runtime: "deno",
    env: ({ workers }) => ({ DENO_JOBS: String(workers) }),
    command: ({ root, app, port }) => [
      runtimeExecutable("deno", root),
      "serve", "-A", "--parallel",
      "--host", "127.0.0.1",
      "--port", String(port),
      app,
    ],
    // `deno serve: Listening on http://127.0.0.1:PORT/ with 2 threads`
    ready: /^deno serve: Listening on http:\/\/127\.0\.0\.1:\d+\/ with \d+ threads/,
  },
  {
    name: "Deno.serve reusePort",
    runtime: "deno",
    command: ({ root, app, port, workers }) => [
      runtimeExecutable("deno", root),
      "run", "-A", "--unstable-net",
      join(root, "bench/bare-deno.ts"),
      app,
      String(port),
      String(workers),
    ],
    ready: BARE_READY,
  },
];

/** The ratios printed under the table, each against {@linkcode MIN_THROUGHPUT_RATIO} and {@linkcode MAX_CPU_RATIO}. */
export const COMPARISONS: Comparison[] = [
  { subject: "mgr (node)", baseline: "node:cluster" },
  { subject: "mgr (bun)", baseline: "Bun.serve reusePort" },
  { subject: "mgr (deno)", baseline: "deno serve --parallel" },
  { subject: "mgr (deno)", baseline: "Deno.serve reusePort" },
];
