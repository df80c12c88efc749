/**
 * The worker's side of Node: a `node:cluster` child talking to the master over the cluster channel.
 *
 * @module
 */

import { isToWorker } from "../../src/core/protocol.ts";
import type { WorkerHost } from "../../src/runtime/worker-host.ts";
import { takeWorkerSpec } from "../../src/runtime/worker-spec-env.ts";
import { importModule } from "./import-module.ts";
import { serveNode } from "./serve.ts";

/** Reads this worker's spec from the environment and builds its {@linkcode WorkerHost}. */
export function createNodeWorkerHost(): WorkerHost {
  const spec = takeWorkerSpec(process.env);
  if (!process.send) throw new Error("Cannot run a worker: this process has no channel to the master");
  return {
    spec,
    pid: process.pid,
    send(message) {
      return new Promise((resolve) => {
        if (!process.connected || !process.send) return resolve();
        process.send(message, undefined, {}, () => resolve());
      });
    },
    onMessage(fn) {
      process.on("message", (message: unknown) => {
        if (isToWorker(message)) fn(message);
      });
    },
    onParentLost(fn) {
      process.once("disconnect", fn);
    },
    onSignal(signal, fn) {
      process.on(signal, fn);
    },
    importModule,
    serve: serveNode,
    rss: () => process.memoryUsage.rss(),
    clientOf(_request, info) {
      const incoming = (info as { incoming?: { socket?: { remoteAddress?: string }; httpVersion?: string } } | undefined)
        ?.incoming;
      return { address: incoming?.socket?.remoteAddress, httpVersion: incoming?.httpVersion };
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
