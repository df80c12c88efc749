/**
 * The master's side of Bun.
 *
 * @module
 */

import { setBunProcessTitle } from "./process-title.ts";
import { availableParallelism } from "node:os";
// node:net behaves the same in Bun, and its exclusive listen also fails on a port another process
// holds with SO_REUSEPORT (measured on Bun 1.4.5), which is what keeps two masters off one port.
import { checkListen } from "../../src/runtime/check-listen.ts";
import { realClock } from "../../src/runtime/real-clock.ts";
import { prepareReusePort } from "../../src/runtime/reuse-port.ts";
import type { Runtime } from "../../src/core/runtime.ts";
import type { BunGlobal } from "./bun-api.ts";
import { spawnBunWorker } from "./spawn.ts";
import { monotonicMicrosBun, notifyBun } from "./notify.ts";
import { serveHttpBun } from "./admin-server.ts";
import { watchDirectoryWithNodeFs } from "../../src/runtime/file-watch-node-fs.ts";
import { watchTree } from "../../src/runtime/file-watch.ts";

declare const Bun: Pick<BunGlobal, "version">;

/** Creates the Bun {@linkcode Runtime}: `Bun.spawn` workers sharing the port, process signals, wall time. */
export function createBunRuntime(): Runtime {
  return {
    name: "bun",
    version: Bun.version,
    pid: process.pid,
    clock: realClock,
    spawnWorker: spawnBunWorker,
    onSignal(signal, fn) {
      process.on(signal, fn);
      return () => process.off(signal, fn);
    },
    checkListen,
    cpuCount: availableParallelism,
    unixSockets: false,
    // Bun runs TypeScript natively.
    importModule: (url) => import(url),
    setProcessTitle: (title) => void setBunProcessTitle(title),
    // Workers share the port with SO_REUSEPORT: a worker that stops listening must hand its queued
    // connections on instead of resetting them.
    preflight: async () => prepareReusePort(),
    notify: notifyBun,
    monotonicMicros: monotonicMicrosBun,
    serveHttp: serveHttpBun,
    os: process.platform,
    watchFiles: (paths, options) => watchTree(paths, options, watchDirectoryWithNodeFs),
  };
}
