/**
 * The worker's side of Bun: a `Bun.spawn` child talking to the master over its IPC channel.
 *
 * @module
 */

import { isToWorker } from "../../src/core/protocol.ts";
import type { WorkerHost } from "../../src/runtime/worker-host.ts";
import { takeWorkerSpec } from "../../src/runtime/worker-spec-env.ts";
import type { BunServer } from "./bun-api.ts";
import { serveBun } from "./serve.ts";

/** Reads this worker's spec from the environment and builds its {@linkcode WorkerHost}. */
export function createBunWorkerHost(): WorkerHost {
  const spec = takeWorkerSpec(process.env);
  if (!process.send) throw new Error("Cannot run a worker: this process has no channel to the master");
  return {
    spec,
    pid: process.pid,
    send(message) {
      return new Promise((resolve) => {
        if (!process.connected || !process.send) return resolve();
        try {
          process.send(message, undefined, {}, () => resolve());
        } catch {
          resolve();
        }
      });
    },
    onMessage(fn) {
      process.on("message", (message: unknown) => {
        if (isToWorker(message)) fn(message);
      });
    },
    onParentLost(fn) {
      // Bun closes the channel, and emits this, the moment the master dies, even by SIGKILL.
      process.once("disconnect", fn);
    },
    onSignal(signal, fn) {
      process.on(signal, fn);
    },
    // Bun runs TypeScript natively.
    importModule: (url) => import(url),
    serve: serveBun,
    rss: () => process.memoryUsage.rss(),
    clientOf(request, info) {
      return { address: (info as BunServer | undefined)?.requestIP(request)?.address ?? undefined, httpVersion: "1.1" };
    },
    writeError(text) {
      process.stderr.write(text);
    },
    writeOutput(text) {
      process.stdout.write(text);
    },
    setProcessTitle(title) {
      process.title = title;
    },
    exit(code) {
      process.exit(code);
    },
  };
}
