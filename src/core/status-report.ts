/**
 * What `mgr status`, `mgr status --json` and the admin endpoint's `/status` show of a master.
 *
 * @module
 */

import type { CountersSnapshot } from "./pool-counters.ts";
import type { WorkerInfo } from "./worker-table.ts";

/** Where the master is in its life: `idle` before start, `running`, `stopping`, `stopped`. */
export type MasterPhase = "idle" | "running" | "stopping" | "stopped";

/** One worker as a status report shows it. */
export type WorkerStatus = WorkerInfo & {
  /** Workers that held this slot before and ended unasked. */
  restarts: number;
  /** How the slot's previous worker ended, e.g. `exited with code 1`. */
  lastExit?: string;
  /** Milliseconds since it was spawned. */
  ageMs: number;
  /**
   * Ready, and heard from within two heartbeats: a worker that is stopped (SIGSTOP) or blocked is still
   * `ready` until its timeout, but does not answer.
   */
  responsive: boolean;
};

/** The master and its pool, at one moment. */
export interface StatusReport {
  pid: number;
  runtime: string;
  phase: MasterPhase;
  /** The pool size the master aims for. */
  workers: number;
  /** Workers that serve now: ready and responsive. */
  ready: number;
  startedAt: number;
  now: number;
  /** The `--max-rss` limit in bytes; 0 when off. */
  maxRssBytes: number;
  pool: WorkerStatus[];
  /** The master's counters, where it keeps them (the master does; a bare supervisor does not). */
  counters?: CountersSnapshot;
}

/** True when the master should get traffic: it runs, is not stopping, and at least one worker serves. */
export function isReady(status: StatusReport): boolean {
  return status.phase === "running" && status.ready > 0;
}
