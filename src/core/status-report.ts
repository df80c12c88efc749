/**
 * What `mgr status` shows of a master.
 *
 * @module
 */

import type { WorkerInfo } from "./worker-table.ts";

/** The master and its pool, at one moment. */
export interface StatusReport {
  pid: number;
  runtime: string;
  /** The pool size the master aims for. */
  workers: number;
  startedAt: number;
  now: number;
  pool: (WorkerInfo & { restarts: number; lastExit?: string })[];
}
