/**
 * The two operations a pool manager exists for, timed on a running mgr: a reload under load (how
 * many requests fail across it) and a SIGKILLed worker (how long until its replacement serves).
 * Read from the master's log at `--log-level debug`: `Worker (pid:N) ready`, `Reload complete`.
 *
 * @module
 */

import type { LoadGenerator, LoadOptions } from "./load-generator.ts";
import { signalPid } from "./live-processes.ts";
import { liveChildren } from "./proc-children.ts";
import type { ReloadResult } from "./report.ts";
import type { RunningServer } from "./server-process.ts";
import { sleep } from "./server-process.ts";

const WORKER_READY = /Worker \(pid:(\d+)\) ready/;
const RELOAD_COMPLETE = /Reload complete/;
/** How long a reload or a replacement may take before it counts as not done. */
const OPERATION_TIMEOUT_MS = 30_000;
/** Load before the reload starts, so that it begins with connections open and requests in flight. */
const LOAD_BEFORE_RELOAD_MS = 500;
const POLL_MS = 10;
/** The length of each load run during a reload. */
const RELOAD_LOAD_CHUNK_S = 1;

/** What the master's log has said so far. */
export interface PoolWatch {
  /** When each worker logged ready, by pid (ms, `performance.now()`). */
  readyAt: Map<number, number>;
  /** When each reload completed. */
  reloadsCompletedAt: number[];
  stop(): void;
}

/** Starts reading `server`'s log for worker and reload events. */
export function watchPool(server: RunningServer): PoolWatch {
  const watch: PoolWatch = { readyAt: new Map(), reloadsCompletedAt: [], stop: () => {} };
  watch.stop = server.onLine((line, atMs) => {
    const ready = WORKER_READY.exec(line);
    if (ready && !watch.readyAt.has(Number(ready[1]))) watch.readyAt.set(Number(ready[1]), atMs);
    if (RELOAD_COMPLETE.test(line)) watch.reloadsCompletedAt.push(atMs);
  });
  return watch;
}

/**
 * Loads the server in runs of {@linkcode RELOAD_LOAD_CHUNK_S} s, sends its master SIGHUP
 * {@linkcode LOAD_BEFORE_RELOAD_MS} into the first, and goes on loading until the reload completes
 * (or {@linkcode OPERATION_TIMEOUT_MS} pass); counts the requests that failed meanwhile.
 */
export async function measureReload(server: RunningServer, pool: PoolWatch, load: Omit<LoadOptions, "durationS">, generator: LoadGenerator): Promise<ReloadResult> {
  const completedBefore = pool.reloadsCompletedAt.length;
  const completed = () => pool.reloadsCompletedAt[completedBefore];
  const deadline = performance.now() + OPERATION_TIMEOUT_MS;
  let requests = 0;
  let failedRequests = 0;
  let hupAt: number | undefined;
  // A load generator runs for a fixed time, and a reload takes what it takes: short runs, back to back.
  do {
    const loading = generator.run({ ...load, durationS: RELOAD_LOAD_CHUNK_S });
    if (hupAt === undefined) {
      await sleep(LOAD_BEFORE_RELOAD_MS);
      hupAt = performance.now();
      signalPid(server.pid, "SIGHUP");
    }
    const result = await loading;
    requests += result.requests;
    failedRequests += result.non2xx + result.socketErrors;
  } while (completed() === undefined && performance.now() < deadline && server.alive());
  const completedAt = completed();
  return { requests, failedRequests, durationMs: completedAt === undefined ? null : completedAt - hupAt };
}

/**
 * SIGKILLs the oldest ready worker and resolves with the milliseconds until a new worker logs ready
 * and the pool is back to `workers` live children; null if that does not happen in time.
 */
export async function measureWorkerReplacement(server: RunningServer, pool: PoolWatch, workers: number): Promise<number | null> {
  const known = new Set(pool.readyAt.keys());
  const victim = liveChildren(server.pid).find((pid) => known.has(pid));
  if (victim === undefined) return null;
  const killedAt = performance.now();
  signalPid(victim, "SIGKILL");
  const readyAt = await waitFor(() => {
    const fresh = [...pool.readyAt].find(([pid]) => !known.has(pid));
    return fresh && liveChildren(server.pid).length === workers ? fresh[1] : undefined;
  }, OPERATION_TIMEOUT_MS);
  return readyAt === undefined ? null : readyAt - killedAt;
}

async function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined || performance.now() > deadline) return value;
    await sleep(POLL_MS);
  }
}
