/**
 * The benchmark's command line, parsed with `node:util`'s `parseArgs`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RUNTIMES } from "./targets.ts";
import type { Runtime } from "./targets.ts";

/** What one benchmark run does. */
export interface BenchOptions {
  /** Seconds of each measured wrk run. */
  durationS: number;
  /** Seconds of load before each measured run, whose figures are discarded. */
  warmupS: number;
  /** How many times every target is measured, interleaved: A B A B … */
  rounds: number;
  /** Keep-alive connections wrk holds open. */
  connections: number;
  /** Only the targets running on these runtimes are measured. */
  runtimes: Runtime[];
  help: boolean;
}

/** The text of `npm run bench -- --help`. */
export const BENCH_HELP = `Usage: npm run bench -- [options]

Runs every target of bench/targets.ts under wrk, interleaved over several rounds, and prints the
median req/s and server CPU time per 10k requests of each, with mgr/baseline ratios.

Options:
  --duration SECONDS     Length of each measured run. [10]
  --warmup SECONDS       Load before each measured run, discarded. [2]
  --rounds INT           Times every target is measured, interleaved. [3]
  --connections INT      Keep-alive connections held by wrk. [50]
  --runtimes LIST        Measure only the targets on these runtimes, comma-separated. [node,bun,deno]
  -h, --help             Show this help and exit.
`;

/**
 * Parses `args` (flags only).
 *
 * @throws {TypeError} on an unknown flag or a missing value (from `parseArgs`).
 * @throws {RangeError} when a value is not a whole number in range, or a runtime is unknown, naming
 *   the flag and the value.
 */
export function parseBenchOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "50" },
      runtimes: { type: "string", default: RUNTIMES.join(",") },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    durationS: wholeNumber("duration", values.duration, 1),
    warmupS: wholeNumber("warmup", values.warmup, 0),
    rounds: wholeNumber("rounds", values.rounds, 1),
    connections: wholeNumber("connections", values.connections, 1),
    runtimes: runtimeList(values.runtimes),
    help: values.help,
  };
}

/** `raw` as a whole number >= `min`; a RangeError naming `--flag` otherwise. */
export function wholeNumber(flag: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min) {
    throw new RangeError(`Cannot run: option \`--${flag}\` must be an integer >= ${min}, got \`${raw}\``);
  }
  return value;
}

/** `raw`, a comma-separated list of runtimes, in RUNTIMES order; a RangeError if one is unknown. */
export function runtimeList(raw: string): Runtime[] {
  const names = raw.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = names.find((name) => !(RUNTIMES as readonly string[]).includes(name));
  if (unknown !== undefined || names.length === 0) {
    throw new RangeError(`Cannot run: option \`--runtimes\` takes a comma-separated list of ${RUNTIMES.join(", ")}, got \`${raw}\``);
  }
  return RUNTIMES.filter((runtime) => names.includes(runtime));
}
