/**
 * Starting workers as `node:cluster` children.
 *
 * The master creates the listening socket and keeps it open while workers come and go, so the port
 * never refuses a connection; how the workers get connections from it is scheduling-policy.ts's choice.
 * A socket the master inherited (`fd://`, socket activation, a USR2 upgrade), or holds since it handed
 * it to a new master (held-sockets.ts), is the exception: each worker is handed a copy at spawn and
 * listens on it itself, and the master never wraps its own, which node:cluster would close whenever
 * the pool is empty, ending the socket.
 *
 * @module
 */

import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { extname } from "node:path";
import { isFdAddress, isFromWorker, isTcpAddress } from "../../src/core/protocol.ts";
import type { ListenAddress, WorkerSpec } from "../../src/core/protocol.ts";
import { formatAddress } from "../../src/core/config.ts";
import { heldSocketFd } from "./held-sockets.ts";
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

/** The streams every worker gets, as `child_process.fork` gives them; inherited sockets follow. */
const WORKER_STDIO = ["inherit", "inherit", "inherit", "ipc"] as const;

/**
 * The worker's stdio with each inherited socket of `spec.bind` appended, and the spec with those
 * addresses renumbered to the descriptors the worker will find them at. A TCP address whose socket
 * the master holds since an upgrade (held-sockets.ts) is handed over the same way.
 */
export function handInheritedSockets(spec: WorkerSpec): { stdio: (string | number)[]; spec: WorkerSpec } {
  const stdio: (string | number)[] = [...WORKER_STDIO];
  const bind = spec.bind.map((address): ListenAddress => {
    const held = isTcpAddress(address) ? heldSocketFd(address) : undefined;
    if (held !== undefined) {
      stdio.push(held);
      return { fd: stdio.length - 1, name: formatAddress(address) };
    }
    if (!isFdAddress(address)) return address;
    stdio.push(address.fd);
    return { ...address, fd: stdio.length - 1 };
  });
  return { stdio, spec: { ...spec, bind } };
}

/** Forks one cluster worker for `spec`. */
export function spawnClusterWorker(spec: WorkerSpec): WorkerHandle {
  setupPrimary();
  // Each fork reads the settings: a reload may have changed the account.
  const runAs = resolveRunAs(spec.user, spec.group);
  const inherited = handInheritedSockets(spec);
  cluster.setupPrimary({ uid: runAs?.uid, gid: runAs?.gid, stdio: inherited.stdio });
  const worker: Worker = cluster.fork(workerSpecEnv(inherited.spec));
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
