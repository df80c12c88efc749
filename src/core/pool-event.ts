/**
 * What the supervisor tells an observer about its pool, one event per thing worth counting: requests
 * served, workers restarted and recycled, reloads and how they ended. The master's metrics are sums of
 * these, so they survive the workers that produced them.
 *
 * @module
 */

/** Why a worker that had to be replaced was replaced: it died, it missed its heartbeat, it never booted. */
export type RestartReason = "crash" | "timeout" | "boot-failure";

/** Why a healthy worker was replaced on purpose. */
export type RecycleReason = "max-requests" | "max-rss" | "reload";

/** How a reload ended: every worker replaced, called off (new workers failed to boot), or not begun (the config could not be read). */
export type ReloadOutcome = "complete" | "abandoned" | "failed";

/**
 * `served`: a heartbeat brought `requests` more requests and their durations (counts per bucket of
 * latency-histogram.ts). `restart`: a worker ended unasked; `oom` when the kernel killed it (SIGKILL
 * the master did not send). `recycle`: a worker was marked for replacement. `reload`: a reload ended.
 */
export type PoolEvent =
  | { type: "served"; requests: number; latency?: readonly number[] }
  | { type: "restart"; reason: RestartReason; oom: boolean }
  | { type: "recycle"; reason: RecycleReason }
  | { type: "reload"; outcome: ReloadOutcome };
