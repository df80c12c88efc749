/**
 * The worker's side of Bun: a `Bun.spawn` child talking to the master over its IPC channel.
 *
 * @module
 */

import { processChannel } from "../../src/runtime/process-channel.ts";
import type { WorkerHost } from "../../src/runtime/worker-host.ts";
import { takeWorkerSpec } from "../../src/runtime/worker-spec-env.ts";
import type { BunServer } from "./bun-api.ts";
import { serveBun } from "./serve.ts";

/** Reads this worker's spec from the environment and builds its {@linkcode WorkerHost}. */
export function createBunWorkerHost(): WorkerHost {
  const spec = takeWorkerSpec(process.env);
  return {
    spec,
    pid: process.pid,
    ...processChannel(process),
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
