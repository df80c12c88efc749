/**
 * How a Node master's workers get their connections.
 *
 * mgr's default is `node:cluster`'s `SCHED_NONE`: the master creates the listening socket and every
 * worker accepts from it. Under `SCHED_RR`, Node's default on Linux, the master accepts each
 * connection and hands it to a worker over IPC, keeping its copy until the worker answers; a worker
 * SIGKILLed with a handoff in flight never answers, and Node neither closes nor re-sends that
 * connection, so its client hangs until its own timeout (nodejs/node#21746). Under `SCHED_NONE` a
 * connection is in the kernel's shared queue until a live worker accepts it: a killed or draining
 * worker loses none (the master's copy of the socket keeps the queue open for the others). Measured
 * in BENCHMARKS.md ("Connection scheduling on Node"): as even as round-robin under saturating load,
 * 1.5 to 3 times the new-connection throughput (the master is off the path), but uneven under light load
 * with 4 workers, which matters only to keep-alive connections opened while the pool is idle.
 * `NODE_CLUSTER_SCHED_POLICY=rr`, Node's own switch, restores round-robin for those who prefer it.
 *
 * @module
 */

/** `node:cluster`'s two policies, by the names `NODE_CLUSTER_SCHED_POLICY` takes. */
export type SchedulingPolicy = "none" | "rr";

/**
 * The policy for `env`: round-robin only when `NODE_CLUSTER_SCHED_POLICY` asks for it.
 *
 * @example
 * ```ts
 * schedulingPolicy({}); // "none"
 * schedulingPolicy({ NODE_CLUSTER_SCHED_POLICY: "rr" }); // "rr"
 * ```
 */
export function schedulingPolicy(env: Record<string, string | undefined>): SchedulingPolicy {
  return env.NODE_CLUSTER_SCHED_POLICY === "rr" ? "rr" : "none";
}
