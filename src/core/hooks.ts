/**
 * Server hooks: Gunicorn's, with JavaScript names. Set them in the config file; each may be async.
 * A hook that throws is logged and the master carries on.
 *
 * @module
 */

import { ConfigError } from "./config-error.ts";
import type { WorkerInfo } from "./worker-table.ts";

/** What a master-side hook sees of the master. */
export interface ServerInfo {
  pid: number;
  /** The pool size the master aims for. */
  workers: number;
  /** The workers now, oldest first. */
  pool(): WorkerInfo[];
}

/** What a hook sees of one worker. */
export interface WorkerRef {
  id: number;
  pid: number;
}

/** How a worker ended, for `childExit` and `workerExit`. */
export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

type MaybePromise = void | Promise<void>;

/** Every hook, all optional. Master-side unless noted. */
export interface Hooks {
  /** Before the master boots its workers (after the config is read). */
  onStarting?(server: ServerInfo): MaybePromise;
  /** On SIGHUP, after the config is read again, before new workers boot. */
  onReload?(server: ServerInfo): MaybePromise;
  /** Once, when every worker of the first pool is ready. */
  whenReady?(server: ServerInfo): MaybePromise;
  /** Just before a worker is started. */
  preFork?(server: ServerInfo, worker: { id: number }): MaybePromise;
  /** In the worker, as it starts, before the app is imported. */
  postFork?(worker: WorkerRef): MaybePromise;
  /** In the worker, after the app is imported and its setup() has run. */
  postWorkerInit?(worker: WorkerRef): MaybePromise;
  /** In the worker, after it has drained, just before it exits. */
  workerExit?(worker: WorkerRef): MaybePromise;
  /** In the master, after a worker has exited. */
  childExit?(server: ServerInfo, worker: WorkerRef, exit: WorkerExit): MaybePromise;
  /** When the pool size changes (TTIN, TTOU, `mgr scale`, a reload). */
  nworkersChanged?(server: ServerInfo, workers: number, previous: number): MaybePromise;
  /** Just before the master exits. */
  onExit?(server: ServerInfo): MaybePromise;
}

/** The hook names, in the order they come in a master's life. */
export const HOOK_NAMES: readonly (keyof Hooks)[] = [
  "onStarting",
  "onReload",
  "whenReady",
  "preFork",
  "postFork",
  "postWorkerInit",
  "workerExit",
  "childExit",
  "nworkersChanged",
  "onExit",
];

/** Hooks that run inside the worker process rather than the master. */
export const WORKER_HOOKS: readonly (keyof Hooks)[] = ["postFork", "postWorkerInit", "workerExit"];

/**
 * Checks that `value` holds only known hooks, each a function.
 *
 * @throws {ConfigError} naming the hook.
 */
export function validateHooks(key: string, value: unknown): Hooks {
  if (typeof value !== "object" || value === null) throw new ConfigError(key, value, "an object of hook functions");
  for (const [name, hook] of Object.entries(value)) {
    if (!HOOK_NAMES.includes(name as keyof Hooks)) {
      throw new ConfigError(name, hook, `one of the hooks ${HOOK_NAMES.join(", ")}`);
    }
    if (typeof hook !== "function") throw new ConfigError(name, hook, "a function");
  }
  return value as Hooks;
}
