/**
 * What a worker's exit means, decided from what the master knew of it: the one place that tells a
 * planned exit from a crash, and a crash from a failure to boot.
 *
 * @module
 */

import { WORKER_EXIT_APP_LOAD } from "./protocol.ts";
import type { WorkerRecord } from "./worker-table.ts";

/**
 * A worker that dies within this long of becoming ready counts toward a crash loop, like one that dies
 * before it is ready. One that lived longer had booted and served: it is replaced at once, every time,
 * so a streak of kills (the OOM killer, a chaos tool) never empties the pool.
 */
export const CRASH_LOOP_WINDOW_MS = 1_000;

/**
 * `planned`: the master asked it to exit, or is stopping. `crash`: it had booted; `early` when it died
 * within {@linkcode CRASH_LOOP_WINDOW_MS} of becoming ready. `boot-failure`: it never became ready;
 * `cause` says why, as far as the master knows.
 */
export type ExitClass =
  | { kind: "planned" }
  | { kind: "crash"; early: boolean }
  | { kind: "boot-failure"; cause: BootFailureCause };

/**
 * `app-load`: the app failed to import or its setup() threw. `bind`: it could not listen. `timeout`:
 * the master killed it for missing its heartbeat or the boot deadline. `died`: it ended on its own.
 */
export type BootFailureCause = "app-load" | "bind" | "timeout" | "died";

/** Classifies the exit of `worker` with exit `code`, at `now`, while the master is (or is not) running. */
export function classifyExit(worker: WorkerRecord, code: number | null, now: number, running: boolean): ExitClass {
  if (!running || worker.state === "draining" || worker.state === "stopping") return { kind: "planned" };
  // A spare that had booted did boot: it was ready to serve the moment it was asked.
  const readyAt = worker.readyAt ?? (worker.spare ? worker.bootedAt : undefined);
  if (readyAt !== undefined) return { kind: "crash", early: now - readyAt < CRASH_LOOP_WINDOW_MS };
  if (worker.bootError?.kind === "bind") return { kind: "boot-failure", cause: "bind" };
  if (worker.bootError?.kind === "app-load" || code === WORKER_EXIT_APP_LOAD) {
    return { kind: "boot-failure", cause: "app-load" };
  }
  if (worker.killedBy === "timeout" || worker.killedBy === "boot-deadline") return { kind: "boot-failure", cause: "timeout" };
  return { kind: "boot-failure", cause: "died" };
}
