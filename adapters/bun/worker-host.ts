/**
 * The worker's side of Bun: a `Bun.spawn` child talking to the master over its IPC channel.
 *
 * @module
 */

import { processWorkerHost } from "../../src/runtime/process-worker-host.ts";
import type { WorkerHost } from "../../src/runtime/worker-host.ts";
import type { BunServer } from "./bun-api.ts";
import { setBunProcessTitle } from "./process-title.ts";
import { serveBun } from "./serve.ts";

/** Reads this worker's spec from the environment and builds its {@linkcode WorkerHost}. */
export function createBunWorkerHost(): WorkerHost {
  return {
    ...processWorkerHost(process),
    // Bun runs TypeScript natively.
    importModule: (url) => import(url),
    serve: serveBun,
    setProcessTitle: (title) => void setBunProcessTitle(title),
    clientOf(request, info) {
      return { address: (info as BunServer | undefined)?.requestIP(request)?.address ?? undefined, httpVersion: "1.1" };
    },
  };
}
