/**
 * What the supervisor tells an observer about the master's life: the moments a service manager
 * (systemd's sd_notify) or a dashboard wants to know about.
 *
 * @module
 */

/**
 * `ready`: every worker of the first pool is ready. `reloading`: a reload (HUP, `mgr reload`) began.
 * `reloaded`: that reload is over, complete, abandoned or failed; the pool serves. `scaled`: the pool
 * size changed. `stopping`: a stop began (graceful, quick, or because the pool cannot run).
 */
export type LifecycleEvent =
  | { type: "ready"; workers: number }
  | { type: "reloading" }
  | { type: "reloaded"; workers: number }
  | { type: "scaled"; workers: number }
  | { type: "stopping" };
