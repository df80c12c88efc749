/**
 * `npm run bench`: mgr against the bare setups it wraps on Node, Bun and Deno, serving
 * bench/apps/hello.ts, with the code of `mgr bench` (src/bench/) and every baseline (Deno's two).
 * The JSON report goes to bench/results/<time>.json; `-- --html FILE` adds the HTML report.
 * See BENCHMARKS.md for what the figures mean.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_HELP, parseBenchOptions } from "../src/bench/bench-options.ts";
import { runBenchCommand } from "../src/cli/bench-command.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, "bench/apps/hello.ts");

const args = process.argv.slice(2);
const hasApp = args.some((arg, i) => !arg.startsWith("-") && !/^--(runtimes|workers|duration|warmup|rounds|connections|path|load|json|html)$/.test(args[i - 1] ?? ""));
const json = args.includes("--json") ? [] : ["--json", join(ROOT, "bench/results", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`)];
let code: number;
try {
  const options = parseBenchOptions([...(hasApp ? [] : [APP]), "--baseline", ...json, ...args]);
  if (options.help) {
    process.stdout.write(`npm run bench -- [options]: mgr bench bench/apps/hello.ts --baseline, with every baseline.\n\n${BENCH_HELP}`);
    code = 0;
  } else {
    code = await runBenchCommand(options, {
      env: process.env,
      cwd: ROOT,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      stderrIsTTY: process.stderr.isTTY === true,
    }, { baselines: "all" });
  }
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)} (see npm run bench -- --help)\n`);
  code = 2;
}
// exit() runs the exit handler, which kills whatever is still running.
process.exit(code);
