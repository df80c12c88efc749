/**
 * The bench, shared by `mgr bench` and `npm run bench`: find the runtimes and the load generator,
 * measure every setup round after round (interleaved, so that a neighbour's load skews all setups of
 * a round alike), and return the report.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { BenchError } from "./bench-error.ts";
import type { BenchOptions } from "./bench-options.ts";
import { formatNumber } from "./format.ts";
import { findLoadGenerator } from "./load-generator.ts";
import { choosePinning, describeMachine } from "./machine.ts";
import { measureRound } from "./measure.ts";
import { packageRoot } from "./package-root.ts";
import { ProgressLine } from "./progress.ts";
import { compareSetups, SCHEMA_VERSION, summarizeRounds } from "./report.ts";
import type { BenchReport, RoundResult, SetupReport } from "./report.ts";
import { findRuntimes } from "./runtimes.ts";
import { buildSetups } from "./setups.ts";
import type { BaselineChoice, Setup } from "./setups.ts";

/** Where the bench reads and writes. */
export interface BenchIo {
  /** The plan and the header. */
  stdout(text: string): void;
  /** Progress, notes and warnings. */
  stderr(text: string): void;
  stderrIsTTY: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** mgr's version, for the report. */
  version: string;
}

/** Options the CLI does not offer. */
export interface RunBenchExtras {
  /** `all` adds Deno.serve with reusePort beside `deno serve --parallel` (`npm run bench`). */
  baselines?: BaselineChoice;
}

/** A load generator at this share of its one core or more was the bottleneck, not the server. */
const LOAD_GENERATOR_CEILING = 0.9;

/**
 * Runs the bench.
 *
 * @throws {BenchError} when it cannot start or a setup does not serve (every server is stopped first).
 */
export async function runBench(options: BenchOptions, io: BenchIo, extras: RunBenchExtras = {}): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const app = resolveApp(options.app, io.cwd);
  const root = packageRoot();
  const search = findRuntimes(options.runtimes, {
    path: io.env.PATH,
    projectDirs: [io.cwd],
    execPath: process.execPath,
    onNode: !("Bun" in globalThis) && !("Deno" in globalThis),
  });
  if (search.found.length === 0) {
    throw new BenchError(`no runtime found: looked for ${options.runtimes.join(", ")} in ./node_modules/.bin and on the PATH; install one (e.g. \`npm install -D bun deno\`) or pass --runtimes node`);
  }
  for (const missing of search.missing) io.stderr(`mgr bench: ${missing.name} not found (looked in ${missing.searched.join(", ")}); measuring without it\n`);
  if (search.found.some((r) => r.name !== "deno") && !existsSync(join(root, "dist/src/cli/bin.js"))) {
    throw new BenchError(`mgr is not built: ${join(root, "dist/src/cli/bin.js")} is missing; run \`npm run build\` in ${root}`);
  }
  const load = findLoadGenerator(options.load);
  const pinning = choosePinning();
  const machine = describeMachine(search.found, { name: load.name, version: load.version }, pinning);
  const setups = buildSetups({
    runtimes: search.found,
    workers: options.workers,
    baseline: options.baseline ? (extras.baselines ?? "primary") : "none",
    namedExport: /:[A-Za-z_$][\w$]*$/.test(options.app),
  });

  const total = setups.length * options.rounds;
  io.stdout(
    `mgr bench: ${setups.length} setups x ${options.rounds} rounds, interleaved; each ${options.warmupS} s warm-up + ${options.durationS} s measured, ` +
      `${load.version}, ${options.connections} connections, GET ${options.path}\n` +
      `${machine.cpus} x ${machine.cpuModel}, ${machine.os} ${machine.kernel}; ${search.found.map((r) => `${r.name} ${r.version}`).join(", ")}\n` +
      (pinning
        ? `Pinned: ${load.name} on CPU ${pinning.loadGeneratorCpus.join(",")}, servers (master and workers) on CPU ${pinning.serverCpus.join(",")}\n`
        : "Not pinned (needs Linux, 2 CPUs and taskset): the load generator and the servers share the CPUs\n"),
  );

  const warnings: string[] = [];
  // A start, the load, a reload and a kill for mgr, a stop: a few seconds on top of the load.
  const guessMs = (options.warmupS + options.durationS + 4) * 1000;
  const progress = new ProgressLine({ write: io.stderr, isTTY: io.stderrIsTTY }, total, guessMs);
  const warn = (message: string) => {
    warnings.push(message);
    progress.note(`mgr bench: warning: ${message}`);
  };
  const rounds = new Map<Setup, RoundResult[]>(setups.map((setup) => [setup, []]));
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const setup of setups) {
        progress.begin(setup.id, round, options.rounds);
        const result = await measureRound(setup, round, {
          root,
          app,
          path: options.path,
          connections: options.connections,
          durationS: options.durationS,
          warmupS: options.warmupS,
          load,
          serverCpus: pinning?.serverCpus,
          loadCpus: pinning?.loadGeneratorCpus,
          env: serverEnvironment(io.env),
          onPhase: (phase) => progress.phase(phase),
          warn,
        });
        rounds.get(setup)!.push(result);
        progress.finish(describeRound(result));
      }
    }
  } finally {
    progress.end();
  }

  const reports: SetupReport[] = setups.map((setup) => ({
    id: setup.id,
    name: setup.name,
    kind: setup.kind,
    runtime: setup.runtime,
    workers: setup.workers,
    command: setup.command({ root, app, port: 0 }).map((arg) => arg.replace(/(^|:)0$/, "$1PORT")),
    rounds: rounds.get(setup)!,
    summary: summarizeRounds(rounds.get(setup)!),
  }));
  for (const setup of reports) {
    const share = setup.summary.loadGeneratorCpuShare?.median ?? 0;
    if (share >= LOAD_GENERATOR_CEILING) {
      warnings.push(`${load.name} used ${formatNumber(share * 100, 0)}% of its core against ${setup.id}: the load generator, not the server, bounds its req/s; compare CPU per request instead`);
    }
  }
  if (!pinning) warnings.push("servers and load generator were not pinned to separate CPUs: they competed for the same cores");

  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: "mgr", version: io.version },
    startedAt,
    finishedAt: new Date().toISOString(),
    app: options.app,
    path: options.path,
    options: {
      runtimes: options.runtimes,
      workers: options.workers,
      durationS: options.durationS,
      warmupS: options.warmupS,
      rounds: options.rounds,
      connections: options.connections,
      baseline: options.baseline,
    },
    machine,
    missingRuntimes: search.missing,
    setups: reports,
    comparisons: compareSetups(reports),
    warnings,
  };
}

/**
 * The APP argument with its path made absolute (the servers may run elsewhere) and its `:export` kept.
 *
 * @throws {BenchError} (usage) when the file does not exist.
 */
function resolveApp(reference: string, cwd: string): string {
  const match = /^(.+):([A-Za-z_$][\w$]*)$/.exec(reference);
  const path = resolve(cwd, match ? match[1]! : reference);
  if (!existsSync(path)) throw new BenchError(`cannot find the app ${path}; give the path of a module whose default export is a fetch handler`, { usage: true });
  return match ? `${path}:${match[2]}` : path;
}

/**
 * The servers' environment: this one without npm's variables, which would tell mgr's CLI it was
 * started by a package manager (under Bun's user agent it relaunches itself).
 */
function serverEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith("npm_")));
}

function describeRound(r: RoundResult): string {
  return `${formatNumber(r.requestsPerSecond, 0)} req/s, p99 ${formatNumber(r.latencyMs.p99, 2)} ms, ` +
    `${formatNumber(r.cpuMsPer1kRequests, 1)} CPU ms/1k req, errors ${r.non2xx} non-2xx + ${r.socketErrors} socket, ` +
    `server CPU ${formatNumber(r.serverCpuShare * 100, 0)}%, load generator CPU ${formatNumber(r.loadGeneratorCpuShare * 100, 0)}%` +
    (r.reload ? `, reload ${r.reload.failedRequests} failed of ${r.reload.requests}` : "") +
    (r.workerReplaceMs !== null ? `, worker replaced in ${formatNumber(r.workerReplaceMs, 0)} ms` : "");
}
