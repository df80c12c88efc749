/**
 * One round of one setup: start it, warm it up, load it while reading the CPU time of its whole
 * process tree, read its memory, then (mgr only) reload it under load and SIGKILL a worker, and stop it.
 *
 * @module
 */

import { findFreePort } from "./free-port.ts";
import { busyMsBetween, readCpuTimes, readReapedChildrenTicks } from "./cpu-usage.ts";
import type { LoadGenerator } from "./load-generator.ts";
import { readTreeRss } from "./memory.ts";
import { measureReload, measureWorkerReplacement, watchPool } from "./pool-ops.ts";
import { clockTicksPerSecond, diffTreeTicks, readTreeTicks } from "./process-tree-cpu.ts";
import type { RoundResult } from "./report.ts";
import { startServer } from "./server-process.ts";
import type { Setup } from "./setups.ts";

/** How one round is run. */
export interface MeasureOptions {
  /** mgr's package root. */
  root: string;
  /** The APP argument, absolute. */
  app: string;
  path: string;
  connections: number;
  durationS: number;
  warmupS: number;
  load: LoadGenerator;
  /** CPUs of the servers and of the load generator (`taskset -c` lists), when pinned. */
  serverCpus?: number[];
  loadCpus?: number[];
  env: NodeJS.ProcessEnv;
  /** Told what is happening, for the progress line. */
  onPhase(phase: string): void;
  /** Told of a figure to distrust. */
  warn(message: string): void;
}

const READY_TIMEOUT_MS = 60_000;

/** Measures `setup` once. */
export async function measureRound(setup: Setup, round: number, options: MeasureOptions): Promise<RoundResult> {
  const port = await findFreePort();
  options.onPhase("starting");
  const server = await startServer(setup, {
    context: { root: options.root, app: options.app, port },
    path: options.path,
    cpus: cpuList(options.serverCpus),
    readyTimeoutMs: READY_TIMEOUT_MS,
    env: options.env,
  });
  const pool = setup.kind === "mgr" ? watchPool(server) : undefined;
  try {
    const load = { url: server.url, connections: options.connections, cpus: cpuList(options.loadCpus) };
    if (options.warmupS > 0) {
      options.onPhase("warming up");
      await options.load.run({ ...load, durationS: options.warmupS });
    }
    options.onPhase("measuring");
    // The tree is read at the start and at the end: in a plain run no worker comes or goes.
    const before = readTreeTicks(server.pid);
    const cpusBefore = options.serverCpus?.map(readCpuTimes);
    const loadBefore = readReapedChildrenTicks();
    const result = await options.load.run({ ...load, durationS: options.durationS });
    // The load generator is a direct child (taskset execs it): its CPU time is in the reaped children's.
    const loadCpuMs = ((readReapedChildrenTicks() - loadBefore) * 1000) / clockTicksPerSecond();
    const cpusAfter = options.serverCpus?.map(readCpuTimes);
    const after = readTreeTicks(server.pid);
    const rss = readTreeRss(server.pid);
    if (!server.alive()) throw new Error(`${setup.id} exited during round ${round}:\n${server.recentOutput()}`);
    const cpu = diffTreeTicks(before, after);
    if (!cpu.samePids) options.warn(`${setup.id} changed processes during round ${round}; its CPU time is partly missed`);
    const wallMs = result.seconds * 1000;
    const busyMs = cpusBefore && cpusAfter ? cpusBefore.reduce((sum, b, i) => sum + busyMsBetween(b, cpusAfter[i]!), 0) : undefined;

    let reload: RoundResult["reload"] = null;
    let workerReplaceMs: number | null = null;
    if (pool) {
      options.onPhase("reloading under load");
      reload = await measureReload(server, pool, load, options.load);
      if (reload.durationMs === null) options.warn(`${setup.id}: the reload of round ${round} did not complete within 30 s`);
      options.onPhase("replacing a killed worker");
      workerReplaceMs = await measureWorkerReplacement(server, pool, setup.workers);
      if (workerReplaceMs === null) options.warn(`${setup.id}: no worker replaced the one killed in round ${round}`);
    }
    return {
      round,
      requests: result.requests,
      seconds: result.seconds,
      requestsPerSecond: result.requestsPerSecond,
      latencyMs: { p50: result.latencyP50Ms, p90: result.latencyP90Ms, p99: result.latencyP99Ms },
      non2xx: result.non2xx,
      socketErrors: result.socketErrors,
      cpuMs: cpu.cpuMs,
      cpuMsPer1kRequests: result.requests > 0 ? (cpu.cpuMs / result.requests) * 1000 : null,
      serverCpuShare: cpu.cpuMs / wallMs,
      otherCpuShare: busyMs === undefined ? null : Math.max(0, busyMs - cpu.cpuMs) / wallMs,
      loadGeneratorCpuShare: loadCpuMs / wallMs,
      processes: cpu.processes,
      rssBytes: rss,
      coldStartMs: server.coldStartMs,
      workerReplaceMs,
      reload,
    };
  } finally {
    pool?.stop();
    options.onPhase("stopping");
    await server.stop();
  }
}

function cpuList(cpus: number[] | undefined): string | undefined {
  return cpus && cpus.length > 0 ? cpus.join(",") : undefined;
}
