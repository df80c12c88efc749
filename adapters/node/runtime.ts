/**
 * The master's side of Node.
 *
 * @module
 */

import { availableParallelism } from "node:os";
import { realClock } from "../../src/runtime/real-clock.ts";
import type { Runtime } from "../../src/core/runtime.ts";
import { checkListen } from "../../src/runtime/check-listen.ts";
import { findListeningFd } from "../../src/runtime/listening-fds.ts";
import { importModule } from "./import-module.ts";
import { spawnClusterWorker } from "./spawn.ts";
import { holdListeningSocket } from "./held-sockets.ts";
import { monotonicMicrosNode, notifyNode } from "./notify.ts";
import { serveHttpNode } from "./admin-server.ts";
import { watchDirectoryWithNodeFs } from "../../src/runtime/file-watch-node-fs.ts";
import { watchTree } from "../../src/runtime/file-watch.ts";
import { captureNodeWorkerStack, quietInspectorOptions } from "./hung-stack.ts";

/** Creates the Node {@linkcode Runtime}: cluster workers, process signals, wall time. */
export function createNodeRuntime(): Runtime {
  // Read by the cluster workers only: the master's own options were read at its start.
  process.env.NODE_OPTIONS = quietInspectorOptions(process.env.NODE_OPTIONS);
  return {
    name: "node",
    version: process.versions.node,
    pid: process.pid,
    clock: realClock,
    spawnWorker: spawnClusterWorker,
    onSignal(signal, fn) {
      process.on(signal, fn);
      return () => process.off(signal, fn);
    },
    checkListen,
    cpuCount: availableParallelism,
    // The cluster master creates every listener, unix sockets included, and shares it with the workers.
    unixSockets: true,
    listeningFd: (address) => findListeningFd(address),
    holdListeningSocket,
    importModule,
    setProcessTitle(title) {
      process.title = title;
    },
    notify: notifyNode,
    monotonicMicros: monotonicMicrosNode,
    serveHttp: serveHttpNode,
    os: process.platform,
    watchFiles: (paths, options) => watchTree(paths, options, watchDirectoryWithNodeFs),
    captureWorkerStack: captureNodeWorkerStack,
  };
}
