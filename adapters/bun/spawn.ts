/**
 * Starting workers as Bun child processes with an IPC channel (`Bun.spawn` with `ipc`).
 *
 * Every worker listens on the port itself with SO_REUSEPORT, and the kernel spreads connections
 * across the workers' accept queues.
 *
 * @module
 */

import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { isFromWorker } from "../../src/core/protocol.ts";
import type { FromWorker, WorkerSpec } from "../../src/core/protocol.ts";
import type { WorkerHandle } from "../../src/core/runtime.ts";
import { reportAfterChannelClose } from "../../src/runtime/channel-close.ts";
import { resolveRunAs } from "../../src/runtime/run-as.ts";
import { workerSpecEnv } from "../../src/runtime/worker-spec-env.ts";
import type { BunGlobal } from "./bun-api.ts";
import { bunMaxHeaderSize } from "./head-limits.ts";

declare const Bun: Pick<BunGlobal, "spawn">;

// The entry sits next to this file, compiled (`.js`) or not (`.ts`, which Bun runs as is).
const WORKER_ENTRY = fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Spawns one Bun worker process for `spec`. */
export function spawnBunWorker(spec: WorkerSpec): WorkerHandle {
  const listeners: ((message: FromWorker) => void)[] = [];
  let channelClosed!: () => void;
  const closed = new Promise<void>((resolve) => (channelClosed = resolve));
  // IPC messages are delivered from the event loop, never during this call, so a listener added
  // right after spawnBunWorker returns sees the first message.
  // Bun's only bound on a request head is this flag (no option of Bun.serve, no variable): the head
  // limits set it, and Bun answers 431 over it.
  const headBound = `--max-http-header-size=${bunMaxHeaderSize(spec.edge)}`;
  const runAs = resolveRunAs(spec.user, spec.group);
  const child = Bun.spawn([process.execPath, headBound, WORKER_ENTRY], {
    env: { ...process.env, ...workerSpecEnv(spec) },
    ...runAs,
    stdio: ["inherit", "inherit", "inherit"],
    ipc(message) {
      if (!isFromWorker(message)) return;
      for (const listener of listeners) listener(message);
    },
    onDisconnect: () => channelClosed(),
  });
  return {
    pid: child.pid,
    send(message) {
      try {
        child.send(message);
      } catch {
        // The channel is closed: the worker is gone, and its exit is on its way.
      }
    },
    onMessage(fn) {
      listeners.push(fn);
    },
    onExit(fn) {
      // `exited` may settle before the last messages are delivered (see channel-close.ts).
      void child.exited.then(() => reportAfterChannelClose(closed, () => fn(child.exitCode, child.signalCode)));
    },
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // Already gone: the exit is on its way.
      }
    },
  };
}
