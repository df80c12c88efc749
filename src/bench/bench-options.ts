/**
 * `mgr bench`'s command line, read with `node:util`'s parseArgs.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LOAD_CHOICES } from "./load-generator.ts";
import type { LoadChoice } from "./load-generator.ts";
import { RUNTIMES } from "./runtimes.ts";
import type { RuntimeName } from "./runtimes.ts";

/** What one bench run does. */
export interface BenchOptions {
  /** The APP argument as typed (`app.ts` or `app.ts:name`). */
  app: string;
  runtimes: RuntimeName[];
  /** Worker counts; every runtime is measured at each. */
  workers: number[];
  /** Seconds of each measured load run. */
  durationS: number;
  /** Seconds of load before each measured run, discarded. */
  warmupS: number;
  /** How many times every setup is measured, interleaved: A B C … A B C … */
  rounds: number;
  /** Keep-alive connections the load generator holds open. */
  connections: number;
  /** The path loaded, `/route`. */
  path: string;
  /** Measure each runtime's bare multi-process setup too. */
  baseline: boolean;
  load: LoadChoice;
  /** Where to write the JSON report and the HTML report, if anywhere. */
  jsonFile?: string;
  htmlFile?: string;
  help: boolean;
}

/** The text of `mgr bench --help`. */
export const BENCH_HELP = `Usage: mgr bench APP [options]

Serves APP with mgr on each runtime found (and with --baseline, each runtime's own multi-process
setup), loads every setup in turn over several rounds, and prints req/s, latency, CPU time per 1k
requests, memory, cold start, worker replacement and reload figures, with ratios between runtimes
and to the baseline. Runtimes are looked for in ./node_modules/.bin, then on the PATH; Node is the
one running mgr when mgr runs on Node.

Options:
  --runtimes LIST        Runtimes to compare, comma-separated. [node,bun,deno]
  --workers LIST         Worker counts, comma-separated; each runtime is measured at each. [2]
  --duration SECONDS     Length of each measured run. [10]
  --warmup SECONDS       Load before each measured run, discarded. [1]
  --rounds INT           Times every setup is measured, interleaved. [3]
  --connections INT      Keep-alive connections held by the load generator. [50]
  --path /ROUTE          The route loaded; it must answer 2xx to GET. [/]
  --baseline             Also measure node:cluster, Bun.serve with reusePort, deno serve --parallel.
  --load NAME            Load generator: auto (wrk if on the PATH, else autocannon), wrk, autocannon. [auto]
  --json FILE            Write the report as JSON (schema: docs/bench-json.md).
  --html FILE            Write a self-contained HTML report with charts.
  -h, --help             Show this help and exit.

Exit codes: 0 measured   1 a setup failed (app did not load, path not 2xx, no runtime, requests failed)
            2 bad command line
`;

/**
 * Parses `argv` (after `bench`).
 *
 * @throws {RangeError} naming the flag (and the value) on an unknown flag, a missing value, or a value
 *   out of range.
 */
export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values, positionals } = readFlags(argv);
  return checkedOptions(values, positionals, values.help);
}

/** parseArgs, its errors as one line that names the flag. */
function readFlags(argv: string[]) {
  try {
    return parseFlags(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
    const code = (error as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new RangeError(`unknown option ${flag ?? message} for \`mgr bench\``);
    if (/argument missing/.test(message)) throw new RangeError(`${flag ?? "an option"} needs a value`);
    throw new RangeError(message);
  }
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      runtimes: { type: "string", default: RUNTIMES.join(",") },
      workers: { type: "string", default: "2" },
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "1" },
      rounds: { type: "string", default: "3" },
      connections: { type: "string", default: "50" },
      path: { type: "string", default: "/" },
      baseline: { type: "boolean", default: false },
      load: { type: "string", default: "auto" },
      json: { type: "string" },
      html: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
}

function checkedOptions(values: ReturnType<typeof parseFlags>["values"], positionals: string[], help: boolean): BenchOptions {
  if (!help && positionals.length !== 1) {
    throw new RangeError(positionals.length === 0 ? "bench needs the APP to serve, e.g. `mgr bench src/app.ts`" : `bench takes one APP, got ${positionals.join(" ")}`);
  }
  if (!values.path.startsWith("/")) throw new RangeError(`option \`--path\` must start with "/", got \`${values.path}\``);
  if (!(LOAD_CHOICES as readonly string[]).includes(values.load)) {
    throw new RangeError(`option \`--load\` takes one of ${LOAD_CHOICES.join(", ")}, got \`${values.load}\``);
  }
  return {
    app: positionals[0] ?? "",
    runtimes: runtimeList(values.runtimes),
    workers: [...new Set(values.workers.split(",").map((count) => wholeNumber("workers", count.trim(), 1)))],
    durationS: wholeNumber("duration", values.duration, 1),
    warmupS: wholeNumber("warmup", values.warmup, 0),
    rounds: wholeNumber("rounds", values.rounds, 1),
    connections: wholeNumber("connections", values.connections, 1),
    path: values.path,
    baseline: values.baseline,
    load: values.load as LoadChoice,
    jsonFile: values.json,
    htmlFile: values.html,
    help,
  };
}

/** `raw` as a whole number >= `min`; a RangeError naming `--flag` otherwise. */
export function wholeNumber(flag: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min) throw new RangeError(`option \`--${flag}\` must be an integer >= ${min}, got \`${raw}\``);
  return value;
}

/** `raw`, a comma-separated list of runtimes, in RUNTIMES order; a RangeError if one is unknown. */
export function runtimeList(raw: string): RuntimeName[] {
  const names = raw.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = names.find((name) => !(RUNTIMES as readonly string[]).includes(name));
  if (unknown !== undefined || names.length === 0) {
    throw new RangeError(`option \`--runtimes\` takes a comma-separated list of ${RUNTIMES.join(", ")}, got \`${raw}\``);
  }
  return RUNTIMES.filter((runtime) => names.includes(runtime));
}
