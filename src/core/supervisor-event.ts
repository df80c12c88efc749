/**
 * The events of the supervisor's loop.
 *
 * @module
 */

import type { Config } from "./config.ts";
import type { FromWorker } from "./protocol.ts";
import type { Signal } from "./runtime.ts";
import type { WorkerRecord } from "./worker-table.ts";
import type { WorkerTimerKind } from "./worker-timers.ts";

/**
 * Everything the supervisor's loop handles. Callbacks (signals, exits, messages, timers, settled
 * promises) only enqueue one of these; the loop takes them one at a time.
 */
export type SupervisorEvent =
  | { type: "signal"; signal: Signal }
  | { type: "stop"; graceful: boolean }
  | { type: "message"; worker: WorkerRecord; message: FromWorker }
  | { type: "exit"; worker: WorkerRecord; code: number | null; signal: string | null }
  | { type: "timer"; worker: WorkerRecord; kind: WorkerTimerKind }
  | { type: "respawn-due" }
  | { type: "reload-requested" }
  | { type: "config-read"; config: Config }
  | { type: "config-unreadable"; error: unknown }
  | { type: "reload-hook-done" }
  | { type: "scale"; workers: number };
