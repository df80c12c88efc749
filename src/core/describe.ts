/**
 * The words the master's log uses for what happened to a worker and where a reload is.
 *
 * @module
 */

import type { ReloadState } from "./reload-state.ts";
import type { WorkerRecord } from "./worker-table.ts";

/** Describes how a process ended: `exited with code 1`, `was killed by SIGTERM`. */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `was killed by ${signal}`;
  return `exited with code ${code ?? "unknown"}`;
}

/** What a booting worker was doing, as far as it told the master: `in the app's setup()`. */
export function describeBootStep(worker: WorkerRecord): string {
  // A worker that never spoke never got its runtime started far enough to open the channel.
  if (worker.outbox) return "its runtime never started";
  if (worker.bootedAt !== undefined) return "starting to listen";
  switch (worker.bootStep) {
    case "hooks":
      return "running the config's worker hooks";
    case "import":
      return "importing the app";
    case "setup":
      return "in the app's setup()";
    case "listen":
      return "starting to listen";
    default:
      return "loading the app";
  }
}

/** Where a reload in progress is, for the operator who asks for another one. */
export function describeReload(reload: ReloadState): string {
  switch (reload.phase) {
    case "idle":
      return "none";
    case "reading-config":
      return "reading the config";
    case "running-hook":
      return "running onReload";
    case "replacing":
      return "replacing the workers";
  }
}
