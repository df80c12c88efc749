/**
 * The hooks that run inside a worker (postFork, postWorkerInit, workerExit), read from the config file.
 *
 * @module
 */

import type { Hooks, WorkerRef } from "../core/hooks.ts";
import type { Logger } from "../core/logger.ts";
import { toFileUrl, unwrapCommonJs } from "./app.ts";
import { errorMessage, errorStack } from "../core/error-text.ts";

type WorkerHookName = "postFork" | "postWorkerInit" | "workerExit";

/** Calls worker-side hooks; a hook that throws is logged and the worker carries on. */
export type WorkerHookRunner = (name: WorkerHookName, worker: WorkerRef) => Promise<void>;

/**
 * Imports `configFile` (if any) and returns a runner for its worker-side hooks. A config file that
 * fails to import here is logged once and its hooks skipped: the master already validated it.
 */
export async function loadWorkerHooks(
  configFile: string | null,
  importModule: (url: string) => Promise<unknown>,
  log: Logger,
): Promise<WorkerHookRunner> {
  let hooks: Hooks = {};
  if (configFile) {
    try {
      const module = unwrapCommonJs(await importModule(toFileUrl(configFile))) as { default?: Hooks };
      hooks = module.default ?? {};
    } catch (error) {
      log.error(`Cannot read hooks from ${configFile}: ${errorMessage(error)}`);
    }
  }
  return async (name, worker) => {
    const hook = hooks[name];
    if (typeof hook !== "function") return;
    try {
      await (hook as (worker: WorkerRef) => void | Promise<void>).call(hooks, worker);
    } catch (error) {
      log.error(`Hook ${name} failed: ${errorStack(error)}`);
    }
  };
}
