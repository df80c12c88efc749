/**
 * Starting workers as `node:cluster` children.
 *
 * The master creates the listening socket and keeps it open while workers come and go, so the port
 * never refuses a connection; how the workers get connections from it is scheduling-policy.ts's choice.
 *
 * @module
 */

import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { extname } from "node:path";
import { isFromWorker } from "../../src/core/protocol.ts";
import type { WorkerSpec } from "../../src/core/protocol.ts";
import type { WorkerHandle } from "../../src/core/runtime.ts";
import { channelClosed, reportAfterChannelClose } from "../../src/runtime/channel-close.ts";
import { workerSpecEnv } from "../../src/runtime/worker-spec-env.ts";
import { resolveRunAs } from "../../src/runtime/run-as.ts";
import { schedulingPolicy } from "./scheduling-policy.ts";

// The entry sits next to this file, compiled (`.js`) or not (`.ts`, when run by a TypeScript-aware tool).
const WORKER_ENTRY = fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

let primaryReady = false;

function setupPrimary(): void {
  if (primaryReady) return;
  primaryReady = true;
  cluster.schedulingPolicy = schedulingPolicy(process.env) === "rr" ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], silent: false });
}

/** Forks one cluster worker for `spec`. */
export function spawnClusterWorker(spec: WorkerSpec): WorkerHandle {
  setupPrimary();
  // Each fork reads the settings: a reload may have changed the account.
  const runAs = resolveRunAs(spec.user, spec.group);
  cluster.setupPrimary({ uid: runAs?.uid, gid: runAs?.gid });
  const worker: Worker = cluster.fork(workerSpecEnv(spec));
  const pid = worker.process.pid;
  if (pid === undefined) throw new Error("Cannot start a worker: node:cluster returned no process");
  // A send to a worker that just died fails with EPIPE; its exit event tells the master what happened.
  worker.on("error", () => {});
  const closed = channelClosed(worker.process);
  return {
    pid,
    send(message) {
      if (worker.isConnected()) worker.send(message, undefined, () => {});
    },
    onMessage(fn) {
      worker.on("message", (message: unknown) => {
        if (isFromWorker(message)) fn(message);
      });
    },
    onExit(fn) {
      // Node's cluster closed the channel before the exit every time it was measured; should it ever
      // not, the worker's last messages still come first (see channel-close.ts).
      worker.once("exit", (code: number | null, signal: string | null) => {
        reportAfterChannelClose(closed, () => fn(code, signal));
      });
    },
    kill(signal) {
      try {
        worker.process.kill(signal);
      } catch {
        // Already gone: the exit event is on its way.
      }
    },
  };
}
