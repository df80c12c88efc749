/**
 * The worker's side of Node: a `node:cluster` child talking to the master over the cluster channel.
 *
 * @module
 */

import { processChannel } from "../../src/runtime/process-channel.ts";
import type { WorkerHost } from "../../src/runtime/worker-host.ts";
import { takeWorkerSpec } from "../../src/runtime/worker-spec-env.ts";
import { importModule } from "./import-module.ts";
import { serveNode } from "./serve.ts";

/** Reads this worker's spec from the environment and builds its {@linkcode WorkerHost}. */
export function createNodeWorkerHost(): WorkerHost {
  const spec = takeWorkerSpec(process.env);
  const channel = processChannel(process);
  return {
    spec,
    pid: process.pid,
    ...channel,
    onSignal(signal, fn) {
      process.on(signal, fn);
    },
    importModule,
    serve: (handler, options) => serveNode(handler, options, channel.roundTrip),
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
