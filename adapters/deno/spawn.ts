/**
 * Starting workers as separate Deno processes.
 *
 * Processes, not Web Workers: a Worker stuck in a busy loop keeps spinning after `terminate()`, so a
 * hung worker could never be killed; a process can always be sent SIGKILL.
 *
 * The spawn goes through the Node-compat `node:child_process`, because Deno has no native equivalent of
 * its IPC channel: `Deno.Command` gives only pipes. Between two Deno processes the channel carries
 * structured messages both ways, and the child sees `disconnect` the moment the master dies. It is
 * `spawn()` with an `"ipc"` stdio slot rather than `fork()`, which would translate a Node command line
 * into its own `deno run` flags: this way the worker's flags are exactly the ones below.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { isFromWorker } from "../../src/core/protocol.ts";
import type { WorkerSpec } from "../../src/core/protocol.ts";
import type { WorkerHandle } from "../../src/core/runtime.ts";
import { channelClosed, reportAfterChannelClose } from "../../src/runtime/channel-close.ts";
import { resolveRunAs } from "../../src/runtime/run-as.ts";
import { workerSpecEnv } from "../../src/runtime/worker-spec-env.ts";
import { markSocketsCloseOnExec } from "./close-on-exec.ts";
import { Deno } from "./deno-api.ts";
import { findAppConfig } from "./find-app-config.ts";

// The entry sits next to this file, `.ts` as shipped (or `.js` if compiled). A URL, not a path, so a
// master run from a remote URL starts its workers from the same place.
const OWN_EXTENSION = /\.[cm]?[jt]s$/.exec(new URL(import.meta.url).pathname)?.[0] ?? ".ts";
const WORKER_ENTRY = new URL(`./worker${OWN_EXTENSION}`, import.meta.url).href;

/**
 * The worker's command line. `--unstable-net` unlocks `Deno.serve({ reusePort })`; `--config` names
 * the app's own `deno.json`, which Deno would otherwise not find (see find-app-config.ts);
 * `--unstable-detect-cjs` runs a `.js` app that uses `require` and `module.exports` in a package
 * without a "type" (what `npm init` wrote for years) as CommonJS, as Node and Bun do, where Deno
 * would run it as an ES module and fail on `require`.
 */
function workerArgs(spec: WorkerSpec): string[] {
  const config = findAppConfig(spec.app);
  return ["run", "-A", "--unstable-net", "--unstable-detect-cjs", ...(config ? ["--config", config] : []), WORKER_ENTRY];
}

/** Spawns one worker process for `spec`, with an IPC channel to it. */
export function spawnDenoWorker(spec: WorkerSpec): WorkerHandle {
  // The master's sockets must not outlive it in a worker (see close-on-exec.ts).
  markSocketsCloseOnExec();
  const runAs = resolveRunAs(spec.user, spec.group);
  const child = spawn(Deno.execPath(), workerArgs(spec), {
    env: { ...Deno.env.toObject(), ...workerSpecEnv(spec) },
    ...runAs,
    stdio: ["inherit", "inherit", "inherit", "ipc"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Cannot start a worker: ${Deno.execPath()} did not start`);
  // A send to a worker that just died fails with ERR_IPC_CHANNEL_CLOSED; its exit tells the master what happened.
  child.on("error", () => {});
  const closed = channelClosed(child);
  return {
    pid,
    send(message) {
      if (child.connected) child.send(message, undefined, {}, () => {});
    },
    onMessage(fn) {
      child.on("message", (message: unknown) => {
        if (isFromWorker(message)) fn(message);
      });
    },
    onExit(fn) {
      // The exit and the last messages (a `boot-error` sent just before exiting) come in either order.
      child.once("exit", (code: number | null, signal: string | null) => {
        reportAfterChannelClose(closed, () => fn(code, signal));
      });
    },
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // Already gone: the exit event is on its way.
      }
    },
  };
}
