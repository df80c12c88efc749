/**
 * `node --import tsx bench/chaos.ts`: mgr under steady load while a random worker is SIGKILLed at a
 * fixed interval, on each runtime, for as long as asked (60 s by default). The behaviour suite runs
 * the same chaos for 20 s (test/behaviour/chaos.test.ts); this is the longer run whose figures go in
 * BENCHMARKS.md.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { runChaos, percentile } from "./chaos-monkey.ts";
import type { ChaosReport } from "./chaos-monkey.ts";
import { CHAOS_HELP, parseChaosOptions } from "./chaos-options.ts";
import type { ChaosBenchOptions } from "./chaos-options.ts";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit, signalGroup, signalPid, trackGroup, untrack } from "./live-processes.ts";
import { runtimeExecutable } from "./targets.ts";
import type { Runtime } from "./targets.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, "test/fixtures/app.ts");
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** A master started for a chaos run, its log collected line by line. */
interface ChaosMaster {
  pid: number;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function main(args: string[]): Promise<number> {
  let options: ChaosBenchOptions;
  try {
    options = parseChaosOptions(args);
  } catch (error) {
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)} (see --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(CHAOS_HELP);
    return 0;
  }
  if (!existsSync(join(ROOT, "dist/src/cli/bin.js"))) {
    process.stderr.write("chaos: mgr is not built; run `npm run build` first\n");
    return 1;
  }
  killTrackedOnExit();
  let failed = false;
  for (const runtime of options.runtimes) {
    const { report, exitCode } = await runOnRuntime(runtime, options);
    process.stdout.write(formatReport(runtime, report, options.interval, exitCode));
    if (exitCode !== 0 || report.masterDied) failed = true;
  }
  return failed ? 1 : 0;
}

async function runOnRuntime(runtime: Runtime, options: ChaosBenchOptions) {
  const port = await findFreePort();
  const master = await startMaster(runtime, port, options.workers);
  try {
    process.stderr.write(`chaos: ${runtime}: killing a worker every ${options.interval} s for ${options.seconds} s\n`);
    const report = await runChaos({
      port,
      masterPid: master.pid,
      poolSize: options.workers,
      logLines: () => master.lines,
      durationMs: options.seconds * 1000,
      intervalMs: options.interval * 1000,
      warmupMs: 1_000,
      pollMs: 20,
      keepAliveClients: options.keepAliveClients,
      freshClients: options.freshClients,
      periodMs: options.periodMs,
      timeoutMs: 5_000,
      pauseAfterFailureMs: 50,
      random: Math.random,
    });
    // The master alone, as an operator would: it stops its workers itself.
    signalPid(master.pid, "SIGTERM");
    const exit = await Promise.race([
      master.exited,
      new Promise<undefined>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS)),
    ]);
    return { report, exitCode: exit?.code ?? null };
  } finally {
    signalGroup(master.pid, "SIGKILL");
    untrack(master.pid);
  }
}

/** Starts mgr on `runtime` in a process group of its own and waits for its ready line. */
async function startMaster(runtime: Runtime, port: number, workers: number): Promise<ChaosMaster> {
  const prefix = runtime === "deno"
    ? [runtimeExecutable("deno", ROOT), "run", "-A", join(ROOT, "mgr.ts")]
    : [runtimeExecutable(runtime, ROOT), join(ROOT, "dist/src/cli/bin.js")];
  const args = [APP, "-w", String(workers), "-b", `127.0.0.1:${port}`, "--log-level", "debug"];
  // detached: a group of its own, so that whatever is left of it can be killed as one at the end.
  const child = spawn(prefix[0]!, [...prefix.slice(1), ...args], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Cannot start mgr on ${runtime}: no pid`);
  trackGroup(pid);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on("line", (line) => lines.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  );
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!lines.some((line) => /\[INFO\] Ready: \d+ workers? serving/.test(line))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`mgr on ${runtime} was not ready within ${READY_TIMEOUT_MS} ms:\n${lines.slice(-20).join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { pid, lines, exited };
}

/** The figures of one runtime, as a few lines. */
function formatReport(runtime: string, report: ChaosReport, intervalS: number, exitCode: number | null): string {
  const refills = report.kills.flatMap((kill) => (kill.refillMs === undefined ? [] : [kill.refillMs]));
  const notRefilled = report.kills.length - refills.length;
  const hung = report.failures.filter((f) => /timed out/.test(f.message)).length;
  const perKill = report.kills.length ? report.failures.length / report.kills.length : 0;
  return [
    `${runtime}: ${report.kills.length} kills, one every ${intervalS} s`,
    `  requests ok ${report.ok}, failed ${report.failures.length} (${hung} of them timed out after 5 s), ` +
    `bound ${report.failureBound}; failures per kill ${perKill.toFixed(2)}`,
    `  refill ms p50 ${percentile(refills, 50)}, p95 ${percentile(refills, 95)}, max ${Math.max(...refills)}` +
    (notRefilled ? `; ${notRefilled} kills not refilled before the next` : ""),
    `  longest with no worker serving ${report.longestEmptyMs} ms; fewest serving ${report.fewestServing}`,
    `  master ${report.masterDied ? "DIED" : "survived"}; exit code after SIGTERM ${exitCode ?? "none (killed)"}`,
    "",
  ].join("\n");
}

process.exitCode = await main(process.argv.slice(2));
