/**
 * The worker's side of Deno: a process spawned by the master, talking to it over the Node-compat IPC
 * channel (Deno has no native one), serving with `Deno.serve`.
 *
 * @module
 */

import process from "node:process";
import { processWorkerHost } from "../../src/runtime/process-worker-host.ts";
import type { WorkerHost } from "../../src/runtime/worker-host.ts";
import { Deno } from "./deno-api.ts";
import type { DenoServeHandlerInfo } from "./deno-api.ts";
import { serveDeno } from "./serve.ts";

const encoder = new TextEncoder();

function writeAll(stream: { writeSync(data: Uint8Array): number }, text: string): void {
  let data = encoder.encode(text);
  while (data.length > 0) data = data.subarray(stream.writeSync(data));
}

/** Reads this worker's spec from the environment and builds its {@linkcode WorkerHost}. */
export function createDenoWorkerHost(): WorkerHost {
  return {
    // `process.env` is `Deno.env`: the spec deleted from it is gone for the app's own child processes too.
    ...processWorkerHost(process),
    pid: Deno.pid,
    onSignal(signal, fn) {
      Deno.addSignalListener(signal, fn);
    },
    // Deno reads TypeScript itself, and resolves the app's bare imports with the app's own deno.json,
    // which the master named on this worker's command line (see find-app-config.ts).
    importModule: (url) => import(url),
    serve: serveDeno,
    rss: () => Deno.memoryUsage().rss,
    clientOf(_request, info) {
      return { address: (info as DenoServeHandlerInfo | undefined)?.remoteAddr?.hostname, httpVersion: "1.1" };
    },
    writeError(text) {
      writeAll(Deno.stderr, text);
    },
    writeOutput(text) {
      writeAll(Deno.stdout, text);
    },
    exit(code) {
      return Deno.exit(code);
    },
  };
}
