/**
 * The command line of `bench/chaos.ts`, parsed with `node:util`'s `parseArgs`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runtimeList, wholeNumber } from "../src/bench/bench-options.ts";
import { RUNTIMES } from "./targets.ts";
import type { Runtime } from "./targets.ts";

/** What one chaos run does. */
export interface ChaosBenchOptions {
  /** How long workers are killed on each runtime, in seconds. */
  seconds: number;
  /** Seconds between two kills. */
  interval: number;
  /** The pool size (`-w`). */
  workers: number;
  /** Clients holding a keep-alive connection, and clients opening one per request. */
  keepAliveClients: number;
  freshClients: number;
  /** A client sends at most one request per this many milliseconds. */
  periodMs: number;
  runtimes: Runtime[];
  help: boolean;
}

/** The text of `--help`. */
export const CHAOS_HELP = `Usage: node --import tsx bench/chaos.ts [options]

Starts mgr on each runtime with test/fixtures/app.ts, puts it under steady load, SIGKILLs a random
worker at a fixed interval, watches the pool every 20 ms, and prints per runtime: requests answered
and failed, failures per kill, the time until the pool was full again after each kill (p50, p95,
max), and the longest time no worker was serving. Run \`npm run build\` first.

Options:
  --seconds N          How long workers are killed on each runtime. [60]
  --interval N         Seconds between two kills. [2]
  --workers N          Pool size. [2]
  --keep-alive N       Clients each holding one keep-alive connection. [5]
  --fresh N            Clients opening a connection per request. [5]
  --period MS          A client sends at most one request per MS milliseconds. [20]
  --runtimes LIST      Comma-separated, from node,bun,deno. [node,bun,deno]
  -h, --help           Show this help and exit.
`;

/**
 * Parses `args` (flags only).
 *
 * @throws {TypeError} on an unknown flag or a missing value (from `parseArgs`).
 * @throws {RangeError} when a value is not a whole number in range, or a runtime is unknown.
 */
export function parseChaosOptions(args: string[]): ChaosBenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: "string", default: "60" },
      interval: { type: "string", default: "2" },
      workers: { type: "string", default: "2" },
      "keep-alive": { type: "string", default: "5" },
      fresh: { type: "string", default: "5" },
      period: { type: "string", default: "20" },
      runtimes: { type: "string", default: RUNTIMES.join(",") },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  return {
    seconds: wholeNumber("seconds", values.seconds, 1),
    interval: wholeNumber("interval", values.interval, 1),
    workers: wholeNumber("workers", values.workers, 2),
    keepAliveClients: wholeNumber("keep-alive", values["keep-alive"], 0),
    freshClients: wholeNumber("fresh", values.fresh, 0),
    periodMs: wholeNumber("period", values.period, 1),
    runtimes: runtimeList(values.runtimes),
    help: values.help,
  };
}
