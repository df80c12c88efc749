/**
 * `mgr bench APP`: run the bench, print the table and the ratios, write the JSON and HTML reports, and
 * turn failures into one `mgr: error: …` line and an exit code.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../core/exit-codes.ts";
import { errorMessage } from "../core/error-text.ts";
import { BenchError } from "../bench/bench-error.ts";
import type { BenchOptions } from "../bench/bench-options.ts";
import { renderHtmlReport } from "../bench/html-report.ts";
import { killTrackedOnExit } from "../bench/live-processes.ts";
import { runBench } from "../bench/run-bench.ts";
import type { RunBenchExtras } from "../bench/run-bench.ts";
import { formatReport } from "../bench/table.ts";
import { VERSION } from "../version.ts";
import type { MainOptions } from "./main-options.ts";

/** Options of {@linkcode runBenchCommand} beyond `main`'s. */
export interface BenchCommandOptions extends MainOptions {
  /** Whether stderr is a terminal, where the progress line is redrawn in place. */
  stderrIsTTY?: boolean;
}

/**
 * Runs the bench and resolves with the exit code: 0 when every setup was measured without a failed
 * request, 1 on a failure (named in one line), 2 when the command line is at fault.
 */
export async function runBenchCommand(bench: BenchOptions, options: BenchCommandOptions, extras: RunBenchExtras = {}): Promise<number> {
  const { stdout, stderr } = options;
  // Every server and load generator started is killed on Ctrl-C and on exit, by pid or group.
  killTrackedOnExit("mgr:");
  try {
    const report = await runBench(bench, {
      stdout,
      stderr,
      stderrIsTTY: options.stderrIsTTY ?? false,
      cwd: options.cwd,
      env: options.env,
      version: VERSION,
    }, extras);
    stdout(`\n${formatReport(report)}`);
    for (const warning of report.warnings) stderr(`mgr bench: warning: ${warning}\n`);
    if (bench.jsonFile) stdout(`JSON report: ${write(options.cwd, bench.jsonFile, `${JSON.stringify(report, null, 2)}\n`)}\n`);
    if (bench.htmlFile) stdout(`HTML report: ${write(options.cwd, bench.htmlFile, renderHtmlReport(report))}\n`);
    const failing = report.setups.filter((s) => s.summary.non2xx + s.summary.socketErrors > 0);
    if (failing.length > 0) {
      stderr(`mgr: error: requests failed under load on ${failing.map((s) => s.id).join(", ")} (see the table); their figures are not comparable, fix the app or lower --connections\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof BenchError) {
      stderr(`mgr: error: ${error.message}\n`);
      return error.usage ? EXIT_USAGE : EXIT_FAILURE;
    }
    stderr(`mgr: error: the bench failed: ${errorMessage(error).split("\n")[0]}\n`);
    return EXIT_FAILURE;
  }
}

/** Writes `text` to `file` (relative to `cwd`), creating its directory; returns the absolute path. */
function write(cwd: string, file: string, text: string): string {
  const path = resolve(cwd, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}
