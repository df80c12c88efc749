/**
 * What mgr does about spreading connections on the machine it starts on. Bun and Deno workers each
 * listen on the port with SO_REUSEPORT, and only Linux spreads a port's connections across such
 * listeners: macOS and the BSDs let every worker bind but hand (nearly) all connections to one
 * (FreeBSD balances only with `SO_REUSEPORT_LB`, which neither runtime sets), and Windows does not
 * let two processes listen on one port at all. Node's workers accept from the one socket the master
 * owns, which works everywhere.
 *
 * @module
 */

import type { RuntimeName } from "./runtime.ts";

/** What to say at start, and the pool size to use instead of the configured one, if any. */
export interface BalanceDecision {
  level: "info" | "warning";
  message: string;
  /** The pool size mgr runs instead of the configured one. */
  workers?: number;
}

/**
 * The decision for `runtime` on `os` (as Node names it: `linux`, `darwin`, `win32`, `freebsd`…) with
 * `workers` configured; undefined when there is nothing to say (Linux, or Node anywhere).
 *
 * @example
 * ```ts
 * decideBalancing("bun", "darwin", 4)?.level; // "warning"
 * decideBalancing("bun", "linux", 4);        // undefined
 * ```
 */
export function decideBalancing(runtime: RuntimeName, os: string | undefined, workers: number): BalanceDecision | undefined {
  if (os === undefined || os === "linux" || os === "android") return undefined;
  if (runtime === "node") {
    if (os !== "win32") return undefined;
    return {
      level: "info",
      message: "On win32 the workers accept from the master's socket (cluster SCHED_NONE), which Windows may spread unevenly; " +
        "NODE_CLUSTER_SCHED_POLICY=rr has the master hand out connections in turn",
    };
  }
  if (os === "win32") {
    return workers > 1
      ? {
        level: "warning",
        message: `On win32 ${runtime} workers cannot share a port (no SO_REUSEPORT): running 1 worker instead of ${workers}; ` +
          "run mgr on Node for a pool",
        workers: 1,
      }
      : undefined;
  }
  if (workers <= 1) return undefined;
  return {
    level: "warning",
    message: `On ${os} SO_REUSEPORT does not spread connections: one of the ${workers} ${runtime} workers takes (nearly) all of ` +
      "them and the others stand by; run mgr on Node (its workers share the master's socket) or on Linux for a balanced pool",
  };
}
