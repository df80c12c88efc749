/**
 * How a worker receives its spec: as JSON in one environment variable, which every runtime's spawn
 * can set and every runtime's worker can read before anything else runs.
 *
 * @module
 */

import type { WorkerSpec } from "../core/protocol.ts";

/** The environment variable that carries a worker's spec. */
export const WORKER_SPEC_ENV = "MGR_WORKER_SPEC";

/** The environment entry to pass to a worker process for `spec`. */
export function workerSpecEnv(spec: WorkerSpec): Record<string, string> {
  return { [WORKER_SPEC_ENV]: JSON.stringify(spec) };
}

/**
 * Reads this worker's spec from `env` and removes it: the app has no use for it, and the app's own
 * child processes must not mistake themselves for workers.
 *
 * @throws {Error} when this process was not started by a master.
 */
export function takeWorkerSpec(env: Record<string, string | undefined>): WorkerSpec {
  const raw = env[WORKER_SPEC_ENV];
  if (!raw) throw new Error("Cannot run a worker: this process was not started by the mgr master");
  delete env[WORKER_SPEC_ENV];
  return JSON.parse(raw) as WorkerSpec;
}
