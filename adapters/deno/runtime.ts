/**
 * The master's side of Deno.
 *
 * @module
 */

import process from "node:process";
import { realClock } from "../../src/runtime/real-clock.ts";
import { prepareReusePort } from "../../src/runtime/reuse-port.ts";
import type { Runtime } from "../../src/core/runtime.ts";
import { checkListen } from "./check-listen.ts";
import { Deno } from "./deno-api.ts";
import { disarmDebugSignal } from "./disarm-debug-signal.ts";
import { spawnDenoWorker } from "./spawn.ts";
import { monotonicMicrosDeno, notifyDeno } from "./notify.ts";
import { serveHttpDeno } from "./admin-server.ts";
import { watchDirectoryWithDeno } from "./file-watch.ts";
import { watchTree } from "../../src/runtime/file-watch.ts";

/**
 * Creates the Deno {@linkcode Runtime}: worker processes that share the port with SO_REUSEPORT, Deno's
 * signals, wall time. The first thing mgr does on Deno, whatever the entry (mgr.ts or the npm bin), so
 * it is where SIGUSR1 is kept from opening a debugger in the master (see disarm-debug-signal.ts).
 */
export function createDenoRuntime(): Runtime {
  disarmDebugSignal();
  return {
    name: "deno",
    version: Deno.version.deno,
    pid: Deno.pid,
    clock: realClock,
    spawnWorker: spawnDenoWorker,
    onSignal(signal, fn) {
      Deno.addSignalListener(signal, fn);
      return () => Deno.removeSignalListener(signal, fn);
    },
    checkListen,
    cpuCount: () => navigator.hardwareConcurrency,
    unixSockets: false,
    // Deno reads TypeScript itself (the config file, here).
    importModule: (url) => import(url),
    setProcessTitle(title) {
      // Deno sets the thread's command name, which `ps -o comm` and `top` show (15 characters at most).
      process.title = title;
    },
    // Each worker owns its accept queue; without tcp_migrate_req a worker that stops listening resets
    // the connections still queued in it.
    preflight: () => Promise.resolve(prepareReusePort()),
    notify: notifyDeno,
    monotonicMicros: monotonicMicrosDeno,
    serveHttp: serveHttpDeno,
    os: process.platform,
    watchFiles: (paths, options) => watchTree(paths, options, watchDirectoryWithDeno),
  };
}
