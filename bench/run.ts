/**
 * `npm run bench`: mgr against the bare setup it wraps on each runtime (Node, Bun, Deno), serving the
 * same app, under the same load.
 *
 * Every target is started pinned to CPU 1 (master and workers), loaded by wrk pinned to CPU 0,
 * warmed up, measured, and stopped; targets are interleaved over several rounds (A B C … A B C …) and
 * each is reported by its median, since this machine is shared and one run alone is noise.
 * See BENCHMARKS.md for what the figures mean.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, release } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HELLO_BODY } from "./apps/hello.ts";
import { findFreePort } from "./free-port.ts";
import { killTrackedOnExit } from "./live-processes.ts";
import { BENCH_HELP, parseBenchOptions } from "./options.ts";
import type { BenchOptions } from "./options.ts";
import { busyMsBetween, readCpuTimes, readReapedChildrenTicks } from "./cpu-usage.ts";
import { clockTicksPerSecond, diffTreeTicks, readTreeTicks } from "./process-tree-cpu.ts";
import { startServer } from "./server-process.ts";
import { compare, formatComparison, formatNumber, formatTable, summarize } from "./summary.ts";
import type { Measurement } from "./summary.ts";
import { COMPARISONS, runtimeExecutable, TARGETS, WORKERS } from "./targets.ts";
import type { Runtime, Target } from "./targets.ts";
import { findWrk, runWrk, WRK_MISSING } from "./wrk.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, "bench/apps/hello.ts");
const RESULTS_DIR = join(ROOT, "bench/results");
const WRK_CPU = 0;
const SERVER_CPU = 1;
const READY_TIMEOUT_MS = 30_000;

async function main(args: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(args);
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)} (see npm run bench -- --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const wrk = findWrk();
  if (!wrk) {
    process.stderr.write(`${WRK_MISSING}\n`);
    return 1;
  }
  if (!existsSync(join(ROOT, "dist/src/cli/bin.js"))) {
    process.stderr.write("bench: mgr is not built; run `npm run build` first, then `npm run bench` again\n");
    return 1;
  }
  if (availableParallelism() < 2) {
    process.stderr.write("bench: needs 2 CPUs (wrk on CPU 0, the server on CPU 1); this process may use fewer\n");
    return 1;
  }
  const missing = options.runtimes.filter((runtime) => !existsSync(runtimeExecutable(runtime, ROOT)));
  if (missing.length > 0) {
    process.stderr.write(
      `bench: ${missing.join(" and ")} not found in node_modules/.bin; run \`npm install\` (they are devDependencies), ` +
        `or measure the others with \`npm run bench -- --runtimes ${options.runtimes.filter((r) => !missing.includes(r)).join(",") || "node"}\`\n`,
    );
    return 1;
  }

  const targets = TARGETS.filter((target) => options.runtimes.includes(target.runtime));
  const machine = describeMachine(wrk, options.runtimes);
  const runs = targets.length * options.rounds;
  process.stdout.write(
    `${machine.summary}\n` +
      `${targets.length} targets x ${options.rounds} rounds, interleaved; each: ${WORKERS} workers on CPU ${SERVER_CPU}, ` +
      `wrk -t1 -c${options.connections} on CPU ${WRK_CPU}, ${options.warmupS} s warm-up (discarded) + ${options.durationS} s measured; ` +
      `about ${Math.ceil((runs * (options.warmupS + options.durationS + 1)) / 60)} min\n\n`,
  );

  const nameWidth = Math.max(...targets.map((t) => t.name.length));
  const measurements: Measurement[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const target of targets) {
      const measurement = await measure(target, round, options);
      measurements.push(measurement);
      process.stdout.write(
        `[${String(measurements.length).padStart(String(runs).length)}/${runs}] round ${round}/${options.rounds}  ` +
          `${target.name.padEnd(nameWidth)} ${formatNumber(measurement.requestsPerSecond, 0).padStart(8)} req/s  ` +
          `${formatNumber(measurement.cpuMsPer10k, 1).padStart(7)} CPU ms/10k req  ` +
          `errors ${measurement.non2xx} non-2xx, ${measurement.socketErrors} socket  ` +
          `server CPU ${formatNumber(measurement.serverCpuShare * 100, 0)}%  ` +
          `other load on CPU ${SERVER_CPU} ${formatNumber(measurement.otherCpuShare * 100, 0)}%  ` +
          `wrk CPU ${formatNumber(measurement.wrkCpuShare * 100, 0)}%\n`,
      );
    }
  }

  const summaries = summarize(targets.map((t) => t.name), measurements);
  const comparisons = compare(COMPARISONS, summaries);
  process.stdout.write(`\n${formatTable(summaries)}\n\n${comparisons.map(formatComparison).join("\n")}\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ machine, options, measurements, summaries, comparisons }, null, 2)}\n`);
  process.stdout.write(`\nRaw figures: ${file}\n`);

  const errors = summaries.filter((s) => s.non2xx + s.socketErrors > 0);
  if (errors.length > 0) {
    process.stderr.write(`bench: requests failed on ${errors.map((s) => s.target).join(", ")}; their figures are not comparable\n`);
    return 1;
  }
  return 0;
}

/** Starts `target`, warms it up, measures one run with the CPU time of its process tree, stops it. */
async function measure(target: Target, round: number, options: BenchOptions): Promise<Measurement> {
  const port = await findFreePort();
  const server = await startServer(target, {
    context: { root: ROOT, app: APP, port, workers: WORKERS },
    cpu: SERVER_CPU,
    expectBody: HELLO_BODY,
    readyTimeoutMs: READY_TIMEOUT_MS,
  });
  try {
    const load = { url: server.url, connections: options.connections, cpu: WRK_CPU };
    if (options.warmupS > 0) await runWrk({ ...load, durationS: options.warmupS });
    // The tree is sampled at the start and at the end: in a plain run no worker comes or goes.
    const before = readTreeTicks(server.pid);
    const cpuBefore = readCpuTimes(SERVER_CPU);
    const wrkBefore = readReapedChildrenTicks();
    const result = await runWrk({ ...load, durationS: options.durationS });
    const wrkCpuMs = ((readReapedChildrenTicks() - wrkBefore) * 1000) / clockTicksPerSecond();
    const cpuAfter = readCpuTimes(SERVER_CPU);
    const after = readTreeTicks(server.pid);
    if (!server.alive()) throw new Error(`${target.name} exited during the run:\n${server.recentOutput()}`);
    const cpu = diffTreeTicks(before, after);
    const otherCpuMs = Math.max(0, busyMsBetween(cpuBefore, cpuAfter) - cpu.cpuMs);
    if (!cpu.samePids) {
      process.stderr.write(`bench: ${target.name} changed processes during round ${round}; its CPU time is partly missed\n`);
    }
    return {
      target: target.name,
      round,
      requests: result.requests,
      requestsPerSecond: result.requestsPerSecond,
      cpuMs: cpu.cpuMs,
      cpuMsPer10k: (cpu.cpuMs / result.requests) * 10_000,
      serverCpuShare: cpu.cpuMs / (result.seconds * 1000),
      non2xx: result.non2xx,
      socketErrors: result.socketErrors,
      processes: cpu.processes,
      otherCpuMs,
      otherCpuShare: otherCpuMs / (result.seconds * 1000),
      wrkCpuShare: wrkCpuMs / (result.seconds * 1000),
      latencyP50Ms: result.latencyP50Ms,
      latencyP99Ms: result.latencyP99Ms,
    };
  } finally {
    await server.stop();
  }
}

function describeMachine(wrk: string, runtimes: Runtime[]) {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU";
  const versions = {
    node: process.version,
    bun: runtimes.includes("bun") ? runtimeVersion("bun") : undefined,
    deno: runtimes.includes("deno") ? runtimeVersion("deno") : undefined,
  };
  const machine = {
    cpus: availableParallelism(),
    cpuModel,
    kernel: release(),
    ...versions,
    wrk,
    clockTicksPerSecond: clockTicksPerSecond(),
  };
  const runtimeSummary = [`Node ${versions.node}`, versions.bun && `Bun ${versions.bun}`, versions.deno && `Deno ${versions.deno}`]
    .filter(Boolean)
    .join(", ");
  return { ...machine, summary: `${machine.cpus} x ${cpuModel}, Linux ${machine.kernel}, ${runtimeSummary}, ${wrk}` };
}

/** `bun --version` (`1.2.3`), or the version in the first line of `deno --version` (`deno 2.3.4 (…)`). */
function runtimeVersion(runtime: "bun" | "deno"): string {
  const output = execFileSync(runtimeExecutable(runtime, ROOT), ["--version"], { encoding: "utf8" });
  return /(\d+\.\d+\.\d+\S*)/.exec(output)?.[1] ?? output.split("\n")[0]!.trim();
}

killTrackedOnExit();
let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  code = 1;
}
// exit() runs the exit handler, which kills whatever is still running.
process.exit(code);
